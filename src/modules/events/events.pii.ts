/**
 * A scanner for personal data in free text (search queries). It errs on the side of refusing: a query
 * that looks like it holds an email address, a phone number or a payment card number is refused, and the
 * shop can resend it without. It never returns the matched text, so nothing found here reaches a log.
 */

export type PiiKind = 'email' | 'phone' | 'card'

// Local part, @, a domain with a dot; also the common "name (at) domain (dot) com" obfuscation.
const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/u
const EMAIL_SPELLED =
  /[\p{L}\p{N}._%+-]+\s*[([]\s*at\s*[)\]]\s*[\p{L}\p{N}-]+\s*[([]\s*dot\s*[)\]]\s*\p{L}{2,}/iu

// A run of digits with the separators people type in phone and card numbers.
const DIGIT_RUN = /\+?\(?\d[\d\s().\-/]*\d/g

function luhnValid(digits: string): boolean {
  let sum = 0
  let double = false
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
    double = !double
  }
  return sum % 10 === 0
}

/**
 * The kind of personal data `text` appears to contain, or undefined.
 *
 * - email: `local@domain.tld`, or spelled out as `local (at) domain (dot) tld`;
 * - card: 13 to 19 digits (spaces or dashes allowed) passing the Luhn check;
 * - phone: a `+` followed by 8 to 15 digits, or 9 to 15 digits in one run of digits and phone separators.
 *   Product codes and sizes are shorter; a longer number in a query is refused rather than risked.
 *
 * @example findPersonalData('red candle holder') // undefined
 * @example findPersonalData('call me on 07700 900123') // 'phone'
 */
export function findPersonalData(text: string): PiiKind | undefined {
  if (text.includes('@') && EMAIL.test(text)) return 'email'
  if (EMAIL_SPELLED.test(text)) return 'email'
  for (const match of text.matchAll(DIGIT_RUN)) {
    const run = match[0]
    const digits = run.replace(/\D/g, '')
    if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) return 'card'
    if (run.startsWith('+') && digits.length >= 8 && digits.length <= 15) return 'phone'
    if (digits.length >= 9 && digits.length <= 15) return 'phone'
    if (digits.length > 19) return 'phone'
  }
  return undefined
}
