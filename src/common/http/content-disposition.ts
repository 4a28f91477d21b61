/**
 * `Content-Disposition` with the file name safely encoded (RFC 6266 + RFC 8187): an ASCII fallback in
 * `filename` (quotes, backslashes, percent signs and non-ASCII replaced) and the exact name, UTF-8
 * percent-encoded, in `filename*`. Header injection is impossible: every byte outside the safe set is
 * encoded.
 */
export function contentDisposition(type: 'inline' | 'attachment', filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
