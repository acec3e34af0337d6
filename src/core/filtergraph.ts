// Values put into an ffmpeg filter graph (a LUT's path, a font, a text file) pass two parsers: the
// graph's own (which splits filters on `,` `;` and pads on `[` `]`, and takes `\` and `'` as escapes),
// then the filter's option parser (which splits options on `:` and `=`, and takes `\` and `'` too).
// A value is quoted for the second and escaped for the first, so that whatever a path or a name holds
// reaches ffmpeg as data and never as syntax (a unit test proves it with real ffmpeg on arbitrary names).

/** Quote a value for a filter's option parser: inside '…' everything is literal but `'` itself. */
function optionQuoted(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Escape text for the filter-graph parser. */
function graphEscaped(text: string): string {
  return text.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}

/** One option value, safe inside `-vf`/`-filter_complex` whatever characters it holds. */
export function filterValue(value: string): string {
  return graphEscaped(optionQuoted(value));
}

/** `name=key=value:key=value` with every value made safe. */
export function filterWith(name: string, options: [string, string | number][]): string {
  return `${name}=${options.map(([k, v]) => `${k}=${typeof v === 'number' ? String(v) : filterValue(v)}`).join(':')}`;
}
