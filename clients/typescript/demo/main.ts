/**
 * The demo page: the public registration form and an organiser's list of an edition's registrations,
 * on the typed client only (no framework). Field errors come all at once from one 422's `errors[]`,
 * in Vietnamese (Accept-Language: vi), each shown next to its field.
 */
import {
  explain, fieldErrors, ketnoi,
  type Edition, type FieldError, type Registered, type RegistrationBody,
} from "../src/client";

/** Served by the gateway (/demo/): the same origin. Under `npx vite` (:5173): the gateway of VITE_KETNOI_API. */
const API = import.meta.env.DEV ? (import.meta.env.VITE_KETNOI_API ?? "http://127.0.0.1:8000") : location.origin;
const api = ketnoi(API, "vi");

function element<T extends Element>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (!found) throw new Error(`the page has no ${selector}`);
  return found;
}

const form = element<HTMLFormElement>("#registration");
const editionSelect = element<HTMLSelectElement>("#edition");
const outcome = element<HTMLParagraphElement>("#outcome");
let editions: Edition[] = [];

function fill(select: HTMLSelectElement, options: { value: string; text: string }[]): void {
  select.replaceChildren(...options.map(({ value, text }) => new Option(text, value)));
}

function field(name: string): string {
  const input = form.elements.namedItem(name);
  return input instanceof HTMLInputElement || input instanceof HTMLSelectElement ? input.value.trim() : "";
}

/** A number field as a number; left empty or not a number it is sent as null, and the API names the field. */
function integer(name: string): number {
  const value = field(name);
  return value === "" ? Number.NaN : Number(value);
}

function selectedEdition(): Edition | undefined {
  return editions.find((edition) => edition.id === editionSelect.value);
}

async function loadEditions(): Promise<void> {
  const { data, error } = await api.GET("/v1/editions");
  if (error) throw new Error(explain(error, "Không tải được danh sách kỳ hội nghị"));
  editions = data.items.filter((edition) => edition.status === "open");
  fill(editionSelect, editions.map((edition) => ({ value: edition.id, text: edition.title.vi })));
  const wanted = new URLSearchParams(location.search).get("edition");
  if (wanted && editions.some((edition) => edition.id === wanted)) editionSelect.value = wanted;
}

/** The form's lists, from the reference endpoints: provinces as they are on the edition's first day. */
async function loadChoices(): Promise<void> {
  const on = selectedEdition()?.starts_on;
  const [provinces, kinds, roles] = await Promise.all([
    api.GET("/v1/reference/provinces", { params: { query: on ? { on } : {} } }),
    api.GET("/v1/reference/organisation-kinds"),
    api.GET("/v1/reference/roles"),
  ]);
  if (!provinces.data || !kinds.data || !roles.data) throw new Error("Không tải được danh mục");
  fill(element("[name='organisation.province']"),
       provinces.data.items.map((p) => ({ value: p.code, text: p.name.vi })));
  fill(element("[name='organisation.kind']"), kinds.data.items.map((k) => ({ value: k.code, text: k.name.vi })));
  fill(element("[name='role']"), roles.data.items.map((r) => ({ value: r.code, text: r.name.vi })));
}

function body(): RegistrationBody {
  const stars = field("products.0.ocop.stars");
  return {
    organisation: {
      kind: field("organisation.kind") as RegistrationBody["organisation"]["kind"],
      legal_name: { vi: field("organisation.legal_name.vi") },
      tax_code: field("organisation.tax_code"),
      province: field("organisation.province"),
      sectors: ["processed_food"],
      delegates: [{
        name: field("organisation.delegates.0.name"), email: field("organisation.delegates.0.email"),
        phone: field("organisation.delegates.0.phone"), preferred_language: "vi",
      }],
    },
    products: [{
      name: { vi: field("products.0.name.vi") }, category: "processed_food",
      ocop: stars === "" ? null : {
        stars: integer("products.0.ocop.stars"), certificate_no: field("products.0.ocop.certificate_no"),
        year: integer("products.0.ocop.year"),
      },
    }],
    role: field("role") as RegistrationBody["role"],
  };
}

function clearErrors(): void {
  form.querySelectorAll<HTMLElement>("[data-error-for], #other-errors").forEach((slot) => { slot.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
}

/** Each error beside its field (or the nearest one it is about); the rest under the form. */
function showErrors(errors: FieldError[]): void {
  const slots = [...form.querySelectorAll<HTMLElement>("[data-error-for]")];
  const other = element<HTMLElement>("#other-errors");
  for (const error of errors) {
    const slot = slots.find((s) => s.dataset.errorFor === error.field)
      ?? slots.find((s) => s.dataset.errorFor?.startsWith(`${error.field}.`));
    if (!slot) {
      other.textContent = [other.textContent, `${error.field}: ${error.message}`].filter(Boolean).join(" · ");
      continue;
    }
    slot.textContent = [slot.textContent, error.message].filter(Boolean).join(" · ");
    form.querySelector(`[name='${slot.dataset.errorFor}']`)?.setAttribute("aria-invalid", "true");
  }
}

async function submit(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  clearErrors();
  outcome.textContent = "Đang gửi…";
  const { data, error } = await api.POST("/v1/editions/{edition_id}/registrations", {
    params: { path: { edition_id: editionSelect.value } }, body: body(),
  });
  if (error) {
    const errors = fieldErrors(error);
    showErrors(errors);
    outcome.textContent = errors.length ? `${explain(error, "")} (${errors.length} lỗi)` : explain(error, "Lỗi");
    outcome.dataset.state = "problem";
    return;
  }
  if (!("participation" in data)) { // 202: an organisation on file confirms by e-mail first
    outcome.textContent = "Tổ chức đã có hồ sơ: đăng ký chờ tổ chức xác nhận qua thư điện tử.";
  } else {
    const { participation }: Registered = data;
    outcome.textContent = `Đã gửi đăng ký (mã ${participation.id}).`;
    outcome.dataset.participationId = participation.id;
  }
  outcome.dataset.state = "done";
}

/** Dev mode: an organiser's token for the edition's series, then its registrations. */
async function loadParticipations(): Promise<void> {
  const listError = element<HTMLElement>("#list-error");
  listError.textContent = "";
  const edition = selectedEdition();
  if (!edition) return;
  const minted = await api.POST("/v1/dev/tokens", { body: { role: "organiser", series: edition.series_id } });
  if (minted.error) {
    listError.textContent = explain(minted.error, "Không cấp được mã truy cập");
    return;
  }
  const organiser = ketnoi(API, "vi", minted.data.token);
  const { data, error } = await organiser.GET("/v1/editions/{edition_id}/participations", {
    params: { path: { edition_id: edition.id }, query: { limit: 100 } },
  });
  if (error) {
    listError.textContent = explain(error, "Không tải được danh sách");
    return;
  }
  const rows = data.items.map((row) => {
    const tr = document.createElement("tr");
    tr.dataset.participationId = row.id;
    for (const text of [row.org.legal_name?.vi ?? "—", row.org.province ?? "—", row.role, row.status]) {
      tr.insertCell().textContent = text;
    }
    return tr;
  });
  const table = element<HTMLTableElement>("#participations");
  table.tBodies[0]?.replaceChildren(...rows);
  table.hidden = false;
}

form.addEventListener("submit", (event) => void submit(event));
editionSelect.addEventListener("change", () => void loadChoices());
element("#load-participations").addEventListener("click", () => void loadParticipations());
loadEditions().then(loadChoices).then(() => { document.body.dataset.ready = "true"; }).catch((error: unknown) => {
  outcome.textContent = error instanceof Error ? error.message : String(error);
});
