import t from 'tap';
import { pluralForm, sayCount, sayDigits, sayNumber } from '../../src/media/say-number.js';

const words = (n: number, lang: string, gender?: 'm' | 'f' | 'n'): string => sayNumber(n, lang, gender).map((p) => p.replace('num-', '')).join(' ');

t.test('English numbers read as people say them', async (t) => {
  t.equal(words(0, 'en'), '0');
  t.equal(words(7, 'en'), '7');
  t.equal(words(13, 'en'), '13');
  t.equal(words(40, 'en'), '40');
  t.equal(words(42, 'en'), '40 2');
  t.equal(words(100, 'en'), '1 hundred');
  t.equal(words(115, 'en'), '1 hundred 15');
  t.equal(words(2341, 'en'), '2 thousand 3 hundred 40 1');
  t.equal(words(1_000_000, 'en'), '1 million');
  t.equal(words(12_000_019, 'en'), '12 million 19');
  t.equal(words(999_999_999, 'en'), '9 hundred 90 9 million 9 hundred 90 9 thousand 9 hundred 90 9');
  t.equal(words(5, 'de'), '5', 'a language without rules of its own uses the English ones');
});

t.test('Russian numbers agree in gender and take the plural form of thousands and millions', async (t) => {
  t.equal(words(1, 'ru'), '1');
  t.equal(words(1, 'ru', 'f'), '1-f', 'одна');
  t.equal(words(1, 'ru', 'n'), '1-n', 'одно');
  t.equal(words(2, 'ru', 'f'), '2-f', 'две');
  t.equal(words(2, 'ru', 'n'), '2', 'два');
  t.equal(words(21, 'ru', 'f'), '20 1-f');
  t.equal(words(11, 'ru', 'f'), '11', 'одиннадцать has no gender');
  t.equal(words(300, 'ru'), '300', 'hundreds are words of their own');
  t.equal(words(1000, 'ru'), '1-f thousand', 'одна тысяча');
  t.equal(words(2000, 'ru'), '2-f thousands-few', 'две тысячи');
  t.equal(words(5000, 'ru'), '5 thousands', 'пять тысяч');
  t.equal(words(11000, 'ru'), '11 thousands', 'одиннадцать тысяч');
  t.equal(words(21000, 'ru'), '20 1-f thousand', 'двадцать одна тысяча');
  t.equal(words(1_001_001, 'ru'), '1 million 1-f thousand 1');
  t.equal(words(3_000_000, 'ru'), '3 millions-few', 'три миллиона');
  t.equal(words(25_000_000, 'ru'), '20 5 millions', 'двадцать пять миллионов');
  t.equal(words(1234, 'ru'), '1-f thousand 200 30 4');
  t.same([1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111, 112].map((n) => pluralForm(n, 'ru')), ['one', 'few', 'few', 'many', 'many', 'many', 'many', 'one', 'few', 'many', 'one', 'many', 'many']);
});

t.test('Thai numbers use place words, ยี่สิบ and เอ็ด', async (t) => {
  t.equal(words(1, 'th'), '1');
  t.equal(words(10, 'th'), '10');
  t.equal(words(11, 'th'), '10 et', 'สิบเอ็ด');
  t.equal(words(20, 'th'), '20', 'ยี่สิบ');
  t.equal(words(21, 'th'), '20 et', 'ยี่สิบเอ็ด');
  t.equal(words(35, 'th'), '3 10 5', 'สามสิบห้า');
  t.equal(words(101, 'th'), '1 hundred et', 'หนึ่งร้อยเอ็ด');
  t.equal(words(2019, 'th'), '2 thousand 10 9', 'สองพันสิบเก้า');
  t.equal(words(54_321, 'th'), '5 ten-thousand 4 thousand 3 hundred 20 et');
  t.equal(words(700_000, 'th'), '7 hundred-thousand');
  t.equal(words(21_000_001, 'th'), '20 et million et', 'ยี่สิบเอ็ดล้านเอ็ด');
});

t.test('counted nouns take the right form and order', async (t) => {
  t.same(sayCount(1, 'new-messages', 'en'), ['num-1', 'new-message']);
  t.same(sayCount(3, 'new-messages', 'en'), ['num-3', 'new-messages']);
  t.same(sayCount(1, 'new-messages', 'ru'), ['num-1-n', 'new-message'], 'одно новое сообщение');
  t.same(sayCount(2, 'new-messages', 'ru'), ['num-2', 'new-messages-few'], 'два новых сообщения');
  t.same(sayCount(5, 'messages', 'ru'), ['num-5', 'messages'], 'пять сообщений');
  t.same(sayCount(3, 'new-messages', 'th'), ['new-messages', 'num-3', 'messages'], 'ข้อความใหม่ สาม ข้อความ');
});

t.test('digits one by one, and bad numbers refused', async (t) => {
  t.same(sayDigits('1001'), ['num-1', 'num-0', 'num-0', 'num-1']);
  t.throws(() => sayDigits('12a'), RangeError);
  for (const bad of [-1, 1.5, 1e9, NaN]) t.throws(() => sayNumber(bad, 'en'), RangeError, String(bad));
});
