/**
 * Compile-time proof that the generated client types every success answer: `tsc --strict` (in `make test`)
 * fails here, naming the operation, if an operation's 2xx JSON body is `unknown` or an empty record.
 */
import type { operations } from "./api";

type JsonBody<R> = R extends { content: { "application/json": infer B } } ? B : never;
type SuccessBodies<O> = O extends { responses: infer Rs }
  ? { [S in keyof Rs]: S extends 200 | 201 | 202 ? JsonBody<Rs[S]> : never }[keyof Rs]
  : never;
type Opaque<T> = unknown extends T ? true : [keyof T] extends [never] ? true : T extends Record<string, never> ? true : false;

/** The operations a frontend could only read with a cast: must be none. */
export type UntypedOperations = {
  [K in keyof operations]: true extends Opaque<SuccessBodies<operations[K]>> ? K : never;
}[keyof operations];

export const everyAnswerIsTyped: [UntypedOperations] extends [never] ? true : UntypedOperations = true;
