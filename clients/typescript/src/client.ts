/**
 * A typed client for the ketnoi API: openapi-fetch over the types openapi-typescript generates from
 * the gateway's OpenAPI document (src/api.d.ts, built by `make client`, never committed).
 *
 * Most success responses are still untyped in the document (see untyped-responses.txt); where a
 * page must read one, this module declares the few fields it reads, marked `Untyped:` so that the
 * declaration is deleted when the operation gets its schema.
 */
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./api";

export type Schemas = components["schemas"];
export type RegistrationBody = Schemas["RegistrationBody"];
export type Province = Schemas["ProvinceEntry"];
export type Role = Schemas["RoleEntry"];
export type OrganisationKind = Schemas["OrganisationKind"];
export type Language = "vi" | "en";
export type Ketnoi = Client<paths>;

/** One entry of a problem document's `errors[]`; Untyped: Problem.errors items are free-form in the document. */
export interface FieldError {
  field: string;
  code: string;
  message: string;
}

/** A 4xx/5xx answer: RFC 9457 problem details. */
export type Problem = Schemas["Problem"];

/** Untyped: list_editions. The fields the demo reads. */
export interface EditionSummary {
  id: string;
  series_id: string;
  status: string;
  starts_on: string;
  title: { vi: string; en?: string | null };
}

/** Untyped: list_participations. The fields the organiser's list reads. */
export interface ParticipationRow {
  id: string;
  role: string;
  status: string;
  org: { legal_name: { vi: string; en?: string | null } | null; province?: string | null; tax_code?: string | null };
}

/** Untyped: register (201). */
export interface Registered {
  participation: { id: string; status: string };
}

export function ketnoi(baseUrl: string, language: Language = "vi", token?: string): Ketnoi {
  const headers: Record<string, string> = { "Accept-Language": language };
  if (token) headers["Authorization"] = `Bearer ${token}`;
  return createClient<paths>({ baseUrl, headers });
}

/** The field errors of a problem document, whatever else it carries. */
export function fieldErrors(problem: Problem | undefined): FieldError[] {
  return (problem?.errors ?? []).flatMap((entry) => {
    const { field, code, message } = entry as Record<string, unknown>;
    return typeof field === "string" && typeof message === "string"
      ? [{ field, code: typeof code === "string" ? code : "", message }]
      : [];
  });
}

/** A body the document leaves untyped, as the shape the caller declares (see the `Untyped:` types above). */
export function untyped<T>(data: unknown): T {
  return data as T;
}

/** A problem's words for people: its title and detail, then a generic fallback. */
export function explain(problem: Problem | undefined, fallback: string): string {
  return [problem?.title, problem?.detail].filter((part, i, all) => part && all.indexOf(part) === i).join(": ")
    || fallback;
}
