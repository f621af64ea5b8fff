/**
 * The certificate password checklist (DESIGN.md step 9): evaluates a password against a rules object so the page
 * can tick each line live. The server's rules (`jointcert.npki.password_policy.policy_rules()`, served as JSON) are
 * authoritative; pass them in as they come. {@link DEFAULT_RULES} are used when none are given.
 *
 * Rules object (snake_case, as the JSON API sends it):
 * `{min_length, max_length, disallowed_symbols, rules: [{code, message_ko?, message_en?}, …]}`. The list gives the
 * order of the checklist; messages may use `{min}`, `{max}`, `{symbols}`. Codes this module does not know are
 * returned with `ok: null` (checked by the server only).
 * @module password-policy
 */

/**
 * @typedef {object} PasswordRules
 * @property {number} min_length
 * @property {number} max_length
 * @property {string} disallowed_symbols characters that may not be used (whitespace is its own rule)
 * @property {{code: string, message_ko?: string, message_en?: string}[]} rules
 */

/**
 * What the password must not contain; absent values leave their rule unchecked (`ok: null`).
 * @typedef {object} PasswordContext
 * @property {string} [userId] the online-banking user ID
 * @property {string | Date} [birthDate] `YYYY-MM-DD`, `YYYYMMDD` or a Date
 * @property {string} [confirmation] the second entry; adds a `matches_confirmation` line when given
 */

/**
 * One checklist line.
 * @typedef {{code: string, ok: boolean | null, messageKo: string, messageEn: string}} ChecklistItem
 */

const MESSAGES = Object.freeze({
  min_length: ["{min}자 이상", "At least {min} characters"],
  max_length: ["{max}자 이하", "At most {max} characters"],
  letter: ["영문자 포함", "Contains a letter (A–Z, a–z)"],
  digit: ["숫자 포함", "Contains a digit"],
  symbol: ["특수문자 포함", "Contains a symbol"],
  no_whitespace: ["공백 사용 불가", "No spaces"],
  no_disallowed_symbol: ["사용할 수 없는 특수문자 제외: {symbols}", "None of these symbols: {symbols}"],
  ascii_only: ["영문, 숫자, 특수문자만 사용 (한글 등 불가)", "Only letters, digits and symbols (no Hangul etc.)"],
  no_user_id: ["아이디 포함 불가", "Does not contain your user ID"],
  no_birth_date: ["생년월일 포함 불가", "Does not contain your date of birth"],
  matches_confirmation: ["비밀번호 확인과 일치", "Matches the confirmation"],
});

/** The rules used when the server's are not given: min 10, max 56, no `'` `"` `\` `|`, no whitespace. */
export const DEFAULT_RULES = Object.freeze({
  min_length: 10,
  max_length: 56,
  disallowed_symbols: "'\"\\|",
  rules: Object.freeze(
    ["min_length", "max_length", "letter", "digit", "symbol", "no_whitespace", "no_disallowed_symbol", "ascii_only",
      "no_user_id", "no_birth_date"].map((code) => Object.freeze({ code })),
  ),
});

/**
 * The server's rule codes (`jointcert.npki.password_policy`, named after the violation) → this module's checks.
 * Items keep the code they came with, so `failed` lists the server's codes.
 */
const ALIASES = Object.freeze({
  too_short: "min_length",
  too_long: "max_length",
  no_letter: "letter",
  no_digit: "digit",
  no_symbol: "symbol",
  disallowed_symbol: "no_disallowed_symbol",
  whitespace: "no_whitespace",
  invalid_character: "ascii_only",
  contains_user_id: "no_user_id",
  contains_birth_date: "no_birth_date",
});

const SYMBOL = /[!-\/:-@\[-`{-~]/; // printable ASCII that is neither letter nor digit
const MIN_ID_LENGTH = 3; // shorter IDs would forbid too much

/**
 * @param {string | Date | undefined} birthDate
 * @returns {string[] | null} the forms to look for (in the password without - . / and spaces): YYYYMMDD, YYMMDD
 */
function birthDateForms(birthDate) {
  if (birthDate === undefined || birthDate === null || birthDate === "") return null;
  const digits =
    birthDate instanceof Date
      ? birthDate.toISOString().slice(0, 10).replace(/-/g, "")
      : String(birthDate).replace(/[-./\s]/g, "");
  if (!/^\d{8}$/.test(digits)) return null;
  return [digits, digits.slice(2)];
}

/**
 * @param {string} password
 * @param {PasswordRules} policy
 * @param {PasswordContext} context
 * @returns {Record<string, () => boolean | null>}
 */
function checks(password, policy, context) {
  const chars = [...password];
  const disallowed = new Set([...(policy.disallowed_symbols ?? "")]);
  const userId = (context.userId ?? "").trim().toLowerCase();
  const dates = birthDateForms(context.birthDate);
  const undelimited = password.replace(/[-./\s]/g, ""); // 1990-03-15, 90.03.15 … count as the date too
  return {
    min_length: () => chars.length >= policy.min_length,
    max_length: () => chars.length <= policy.max_length,
    letter: () => /[A-Za-z]/.test(password),
    digit: () => /[0-9]/.test(password),
    symbol: () => chars.some((c) => SYMBOL.test(c) && !disallowed.has(c)),
    no_whitespace: () => !/\s/u.test(password),
    no_disallowed_symbol: () => !chars.some((c) => disallowed.has(c)),
    ascii_only: () => chars.every((c) => /[\x21-\x7e]/.test(c) || /\s/u.test(c)),
    no_user_id: () => (userId.length < MIN_ID_LENGTH ? null : !password.toLowerCase().includes(userId)),
    no_birth_date: () => (dates ? !dates.some((d) => undelimited.includes(d)) : null),
    matches_confirmation: () => password === context.confirmation,
  };
}

/**
 * @param {string} template
 * @param {PasswordRules} policy
 * @returns {string}
 */
function fill(template, policy) {
  const symbols = [...(policy.disallowed_symbols ?? "")].join(" ");
  return template
    .replaceAll("{min}", String(policy.min_length))
    .replaceAll("{max}", String(policy.max_length))
    .replaceAll("{symbols}", symbols);
}

/**
 * Evaluate a password: one checklist line per rule (in the rules' order), and whether it may be submitted.
 * @param {string} password
 * @param {PasswordContext} [context]
 * @param {PasswordRules} [policy] the server's rules; {@link DEFAULT_RULES} if omitted
 * @returns {{ok: boolean, items: ChecklistItem[], failed: string[]}} `failed`: the rules the password (and
 *   confirmation) break now, empty fields included; `ok` when none is broken (rules the browser cannot check do not
 *   block: the server checks them). `items[].ok` is what the checklist shows: `null` for a line not judged yet
 *   (the password, or for `matches_confirmation` the confirmation, is still empty) or not checkable here.
 */
export function checkPassword(password, context = {}, policy = DEFAULT_RULES) {
  const table = checks(String(password ?? ""), policy, context);
  const rules = [...policy.rules];
  if (context.confirmation !== undefined) rules.push({ code: "matches_confirmation" });
  const typed = String(password ?? "") !== "";
  const failed = [];
  const items = rules.map((rule) => {
    const check = ALIASES[/** @type {keyof typeof ALIASES} */ (rule.code)] ?? rule.code;
    const [ko, en] = MESSAGES[check] ?? [rule.code, rule.code];
    const ok = table[check] ? table[check]() : null;
    if (ok === false) failed.push(rule.code);
    // Only what has been typed is judged on screen: nothing while the password is empty, and the confirmation
    // line only once the confirmation has been typed.
    const judged = typed && (check !== "matches_confirmation" || context.confirmation !== "");
    return {
      code: rule.code,
      ok: judged ? ok : null,
      messageKo: fill(rule.message_ko ?? ko, policy),
      messageEn: fill(rule.message_en ?? en, policy),
    };
  });
  return { ok: failed.length === 0, items, failed };
}
