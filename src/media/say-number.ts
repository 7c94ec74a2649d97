// Numbers read out as sequences of prompt names (queue position, message counts, extensions).
// English: "two thousand three hundred forty one". Russian: the gender of 1 and 2 follows the
// noun (одна тысяча, две тысячи, одно сообщение) and the noun form follows the number (1 / 2-4 /
// 5-20 тысяча, тысячи, тысяч). Thai: place words (สิบ ร้อย พัน หมื่น แสน ล้าน), ยี่สิบ for 20,
// เอ็ด for a final 1. Other languages use the English rules with their own recordings.

export type Gender = 'm' | 'f' | 'n';
export type PluralForm = 'one' | 'few' | 'many';
/** Nouns sayCount can count (voicemail). */
export type CountedNoun = 'messages' | 'new-messages' | 'old-messages';

export const MAX_SAY_NUMBER = 999_999_999;

/** Prompt names that read `n` (0..999,999,999) in `language`; `gender` of the counted noun (Russian). */
export function sayNumber(n: number, language: string, gender: Gender = 'm'): string[] {
  if (!Number.isInteger(n) || n < 0 || n > MAX_SAY_NUMBER) throw new RangeError(`sayNumber: ${n} is not a whole number from 0 to ${MAX_SAY_NUMBER}`);
  if (n === 0) return ['num-0'];
  switch (language) {
    case 'ru':
      return russian(n, gender);
    case 'th':
      return thai(n);
    default:
      return english(n);
  }
}

/** Each digit on its own (an extension, a PIN): "1001" -> num-1 num-0 num-0 num-1. */
export function sayDigits(digits: string): string[] {
  if (!/^[0-9]*$/.test(digits)) throw new RangeError(`sayDigits: "${digits}" has characters other than 0-9`);
  return Array.from(digits, (d) => `num-${d}`);
}

/** Which form a noun takes after `n` (CLDR plural categories; Russian has three, English two). */
export function pluralForm(n: number, language: string): PluralForm {
  if (language === 'ru') {
    const mod10 = n % 10;
    const mod100 = n % 100;
    if (mod10 === 1 && mod100 !== 11) return 'one';
    if (mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14)) return 'few';
    return 'many';
  }
  if (language === 'th') return 'many';
  return n === 1 ? 'one' : 'many';
}

/** "3 new messages" in `language`: the number and the noun in the right form and order. */
export function sayCount(n: number, noun: CountedNoun, language: string): string[] {
  if (language === 'th') return [noun, ...sayNumber(n, language), 'messages']; // ข้อความใหม่ สาม ข้อความ: the noun is its own classifier
  const form = pluralForm(n, language);
  const name = form === 'one' ? noun.replace('messages', 'message') : form === 'few' ? `${noun}-few` : noun;
  return [...sayNumber(n, language, 'n'), name];
}

function english(n: number): string[] {
  const out: string[] = [];
  const millions = Math.floor(n / 1_000_000);
  const thousands = Math.floor(n / 1000) % 1000;
  const rest = n % 1000;
  if (millions > 0) out.push(...englishBelowThousand(millions), 'num-million');
  if (thousands > 0) out.push(...englishBelowThousand(thousands), 'num-thousand');
  if (rest > 0) out.push(...englishBelowThousand(rest));
  return out;
}

function englishBelowThousand(n: number): string[] {
  const out: string[] = [];
  const hundreds = Math.floor(n / 100);
  const rest = n % 100;
  if (hundreds > 0) out.push(`num-${hundreds}`, 'num-hundred');
  if (rest > 0 && rest < 20) out.push(`num-${rest}`);
  else if (rest >= 20) {
    out.push(`num-${rest - (rest % 10)}`);
    if (rest % 10 > 0) out.push(`num-${rest % 10}`);
  }
  return out;
}

function russian(n: number, gender: Gender): string[] {
  const out: string[] = [];
  const millions = Math.floor(n / 1_000_000);
  const thousands = Math.floor(n / 1000) % 1000;
  const rest = n % 1000;
  const forms = (count: number, one: string, few: string, many: string): string => {
    const form = pluralForm(count, 'ru');
    return form === 'one' ? one : form === 'few' ? few : many;
  };
  if (millions > 0) out.push(...russianBelowThousand(millions, 'm'), forms(millions, 'num-million', 'num-millions-few', 'num-millions'));
  if (thousands > 0) out.push(...russianBelowThousand(thousands, 'f'), forms(thousands, 'num-thousand', 'num-thousands-few', 'num-thousands'));
  if (rest > 0) out.push(...russianBelowThousand(rest, gender));
  return out;
}

function russianBelowThousand(n: number, gender: Gender): string[] {
  const out: string[] = [];
  const hundreds = Math.floor(n / 100);
  const rest = n % 100;
  if (hundreds > 0) out.push(`num-${hundreds * 100}`);
  if (rest >= 10 && rest < 20) {
    out.push(`num-${rest}`);
    return out;
  }
  if (rest >= 20) out.push(`num-${rest - (rest % 10)}`);
  const units = rest % 10;
  if (units === 1) out.push(gender === 'm' ? 'num-1' : `num-1-${gender}`);
  else if (units === 2) out.push(gender === 'f' ? 'num-2-f' : 'num-2');
  else if (units > 0) out.push(`num-${units}`);
  return out;
}

const THAI_PLACES = ['', 'num-10', 'num-hundred', 'num-thousand', 'num-ten-thousand', 'num-hundred-thousand'];

function thai(n: number): string[] {
  const millions = Math.floor(n / 1_000_000);
  const rest = n % 1_000_000;
  const out = millions > 0 ? [...thaiBelowMillion(millions, millions), 'num-million'] : [];
  if (rest > 0) out.push(...thaiBelowMillion(rest, n));
  return out;
}

/** `whole` is the number being read: a final 1 is เอ็ด in anything above 10 (11, 21, 101, 1,000,001). */
function thaiBelowMillion(n: number, whole: number): string[] {
  const out: string[] = [];
  for (let place = 5; place >= 0; place--) {
    const digit = Math.floor(n / 10 ** place) % 10;
    if (digit === 0) continue;
    if (place === 1) out.push(digit === 1 ? 'num-10' : digit === 2 ? 'num-20' : `num-${digit}`, ...(digit > 2 ? ['num-10'] : []));
    else if (place === 0) out.push(digit === 1 && whole > 10 ? 'num-et' : `num-${digit}`);
    else out.push(`num-${digit}`, THAI_PLACES[place]!);
  }
  return out;
}
