// What text the service accepts, character by character. Two levels:
//
// - Every text a client sends must be text PostgreSQL can store and compare exactly: no NUL
//   (PostgreSQL's text types cannot hold U+0000 and reject the whole statement) and no lone
//   surrogate (half of a UTF-16 pair: it has no UTF-8 form, so the driver would silently store
//   U+FFFD instead, and two different inputs would become the same value). `storableTextProblem`
//   decides this; the GraphQL argument guard applies it to every String and ID argument, and the
//   rulebook (user.validation.ts) to every text field, so library callers get it too.
// - Text shown to people (names, suspension reasons) must also not contain control characters
//   or bidirectional formatting characters: U+202E turns "invoice\u202Efdp.exe" into
//   "invoiceexe.pdf" on screen. `displayTextProblem` decides that.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** C0 controls, DEL and C1 controls (Unicode category Cc). */
const CONTROL = /\p{Cc}/u;
/**
 * Bidirectional formatting: embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069),
 * and the invisible direction marks (U+200E, U+200F, U+061C), which reorder what follows them.
 */
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/;

/** Why PostgreSQL could not store `value` exactly, or undefined when it can. */
export function storableTextProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL characters (U+0000)';
  if (LONE_SURROGATE.test(value)) return 'must be well-formed Unicode (it contains a lone surrogate)';
  return undefined;
}

/** storableTextProblem, plus: no control characters (tab and newline included). */
export function controlFreeTextProblem(value: string): string | undefined {
  return storableTextProblem(value) ?? (CONTROL.test(value) ? 'must not contain control characters' : undefined);
}

/** For text shown to people: controlFreeTextProblem, plus no bidirectional formatting characters. */
export function displayTextProblem(value: string): string | undefined {
  return (
    controlFreeTextProblem(value) ??
    (BIDI.test(value) ? 'must not contain bidirectional formatting characters (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C)' : undefined)
  );
}

/**
 * For informational text we keep rather than refuse (an uploaded file's name): control
 * characters and lone surrogates become U+FFFD, and it is cut to `max` characters without
 * splitting a surrogate pair.
 */
export function toStorableText(value: string, max: number): string {
  const cleaned = value.replace(new RegExp(`${CONTROL.source}|${LONE_SURROGATE.source}`, 'gu'), '\uFFFD');
  return [...cleaned].slice(0, max).join('');
}
