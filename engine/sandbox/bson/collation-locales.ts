// The collation locales mongod 8.0 accepts (ICU locale IDs, as its documentation lists them) and their
// BCP 47 form for Intl.Collator. A variant is written `<locale>@collation=<variant>`.

/** Each supported locale with the variants it may be asked for. */
const LOCALES: Readonly<Record<string, readonly string[]>> = {
  af: [],
  am: [],
  ar: ['compat'],
  as: [],
  az: ['search'],
  be: [],
  bg: [],
  bn: ['traditional'],
  bo: [],
  bs: ['search'],
  bs_Cyrl: [],
  ca: ['search'],
  chr: [],
  cs: ['search'],
  cy: [],
  da: ['search'],
  de: ['phonebook', 'search', 'eor'],
  de_AT: ['phonebook'],
  dsb: [],
  dz: [],
  ee: [],
  el: [],
  en: [],
  en_US: [],
  en_US_POSIX: [],
  eo: [],
  es: ['search', 'traditional'],
  et: [],
  fa: [],
  fa_AF: [],
  fi: ['search', 'traditional'],
  fil: [],
  fo: [],
  fr: [],
  fr_CA: [],
  ga: [],
  gl: ['search'],
  gu: [],
  ha: [],
  haw: [],
  he: [],
  hi: [],
  hr: ['search'],
  hsb: [],
  hu: [],
  hy: [],
  id: [],
  ig: [],
  is: ['search'],
  it: [],
  ja: ['unihan'],
  ka: [],
  kk: [],
  kl: ['search'],
  km: [],
  kn: ['traditional'],
  ko: ['search', 'searchjl', 'unihan'],
  kok: [],
  ky: [],
  lb: [],
  lkt: [],
  ln: ['phonetic'],
  lo: [],
  lt: [],
  lv: [],
  mk: [],
  ml: [],
  mn: [],
  mr: [],
  ms: [],
  mt: [],
  my: [],
  nb: ['search'],
  ne: [],
  nl: [],
  nn: ['search'],
  om: [],
  or: [],
  pa: [],
  pl: [],
  ps: [],
  pt: [],
  ro: [],
  ru: [],
  se: ['search'],
  si: ['dictionary'],
  sk: ['search'],
  sl: [],
  smn: ['search'],
  sq: [],
  sr: [],
  sr_Latn: ['search'],
  sv: ['search'],
  sw: [],
  ta: [],
  te: [],
  th: [],
  to: [],
  tr: ['search'],
  ug: [],
  uk: [],
  ur: [],
  vi: ['traditional'],
  wae: [],
  yi: ['search'],
  yo: [],
  zh: ['big5han', 'gb2312han', 'unihan', 'zhuyin'],
  zh_Hant: [],
  zu: [],
};

/** ICU collation variant names that BCP 47's `co` keyword spells differently. */
const BCP47_VARIANTS: Readonly<Record<string, string>> = {
  phonebook: 'phonebk',
  traditional: 'trad',
  dictionary: 'dict',
  gb2312han: 'gb2312',
};

const VARIANT_SEPARATOR = '@collation=';

function split(locale: string): { base: string; variant?: string } {
  const at = locale.indexOf(VARIANT_SEPARATOR);
  if (at < 0) return { base: locale };
  return { base: locale.slice(0, at), variant: locale.slice(at + VARIANT_SEPARATOR.length) };
}

export function isSupportedLocale(locale: string): boolean {
  const { base, variant } = split(locale);
  const variants = Object.hasOwn(LOCALES, base) ? LOCALES[base] : undefined;
  return variants !== undefined && (variant === undefined || variants.includes(variant));
}

/** The BCP 47 tag Intl.Collator understands for a supported ICU locale ID. */
export function bcp47Tag(locale: string): string {
  const { base, variant } = split(locale);
  const tag = base === 'en_US_POSIX' ? 'en-US-u-va-posix' : base.replaceAll('_', '-');
  if (variant === undefined) return tag;
  return `${tag}${tag.includes('-u-') ? '' : '-u'}-co-${BCP47_VARIANTS[variant] ?? variant}`;
}
