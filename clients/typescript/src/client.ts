/**
 * A typed client for the ketnoi API: openapi-fetch over the types openapi-typescript generates from
 * the gateway's OpenAPI document (src/api.d.ts, built by `make client`, never committed).
 * Every success answer is typed in the document (src/typed-answers.ts proves it at compile time), so
 * the names below are aliases of generated types, not declarations of our own.
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

/** One entry of a problem document's `errors[]`. */
export type FieldError = Schemas["FieldProblem"];

/** A 4xx/5xx answer: RFC 9457 problem details. */
export type Problem = Schemas["Problem"];

export type Edition = Schemas["Edition"];
export type Participation = Schemas["Participation"];
export type Registered = Schemas["Registered"];

export function ketnoi(baseUrl: string, language: Language = "vi", token?: string): Ketnoi {
  const headers: Record<string, string> = { "Accept-Language": language };
  if (token) headers["Authorization"] = `Bearer ${token}`;
  return createClient<paths>({ baseUrl, headers });
}

/** The field errors of a problem document (none for a problem without any). */
export function fieldErrors(problem: Problem | undefined): FieldError[] {
  return problem?.errors ?? [];
}

/** A problem's words for people: its title and detail, then a generic fallback. */
export function explain(problem: Problem | undefined, fallback: string): string {
  return [problem?.title, problem?.detail].filter((part, i, all) => part && all.indexOf(part) === i).join(": ")
    || fallback;
}
