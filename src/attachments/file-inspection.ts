import type Sharp from 'sharp';

/** Raster types browsers show inline and sharp decodes. Never SVG (it can carry script). */
export const IMAGE_TYPES: ReadonlySet<string> = new Set([
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'image/avif',
]);

/** Thumbnails decode at most this many pixels: larger images (and decompression bombs) are refused. */
export const MAX_THUMBNAIL_INPUT_PIXELS = 50_000_000;
export const THUMBNAIL_SIZE = 320;
export const THUMBNAIL_TYPE = 'image/webp';

type FileTypeModule = typeof import('file-type');
let fileTypeModule: Promise<FileTypeModule> | undefined;

/** `file-type` is ESM-only; under `module: nodenext` this dynamic import stays an `import()`. */
function loadFileType(): Promise<FileTypeModule> {
  fileTypeModule ??= import('file-type');
  return fileTypeModule;
}

let sharpModule: Promise<typeof Sharp> | undefined;

/**
 * sharp (libvips, a native module) on first use: loading it is 60-70 ms of every start otherwise,
 * for a server that may never see an image.
 */
function loadSharp(): Promise<typeof Sharp> {
  sharpModule ??= import('sharp').then(({ default: sharp }) => {
    // Thumbnails are made once and stored: libvips' operation cache would only hold memory.
    sharp.cache(false);
    return sharp;
  });
  return sharpModule;
}

/** The MIME type the bytes say, or application/octet-stream; the client's claim is never asked. */
export async function detectContentType(head: Buffer): Promise<string> {
  const { fileTypeFromBuffer } = await loadFileType();
  return (await fileTypeFromBuffer(head))?.mime ?? 'application/octet-stream';
}

/** Display size of an image (EXIF rotation applied) from its header; null when it cannot be read. */
export async function imageSize(file: string): Promise<{ width: number; height: number } | null> {
  try {
    const sharp = await loadSharp();
    const meta = await sharp(file).metadata();
    if (!meta.width || !meta.height) {
      return null;
    }
    const turned = (meta.orientation ?? 1) >= 5;
    return turned
      ? { width: meta.height, height: meta.width }
      : { width: meta.width, height: meta.height };
  } catch {
    return null;
  }
}

/**
 * A WebP of at most THUMBNAIL_SIZE on the long side, never upscaled, EXIF rotation applied. Throws
 * for an image over MAX_THUMBNAIL_INPUT_PIXELS (sharp checks the header before decoding).
 */
export async function makeThumbnail(input: NodeJS.ReadableStream): Promise<Buffer> {
  const sharp = await loadSharp();
  const transformer = sharp({ limitInputPixels: MAX_THUMBNAIL_INPUT_PIXELS, failOn: 'error' })
    .rotate()
    .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80 });
  input.on('error', (error: Error) => transformer.destroy(error));
  input.pipe(transformer);
  return transformer.toBuffer();
}

/** Control characters, and the bidi marks and overrides that can disguise an extension. */
function invisible(codePoint: number): boolean {
  return (
    codePoint < 0x20 ||
    (codePoint >= 0x7f && codePoint <= 0x9f) ||
    codePoint === 0x200e ||
    codePoint === 0x200f ||
    (codePoint >= 0x202a && codePoint <= 0x202e) ||
    (codePoint >= 0x2066 && codePoint <= 0x2069)
  );
}

/**
 * The client's file name as shown to users: the last path segment only, no control or bidi-override
 * characters (which can disguise an extension), at most 255 characters. It is never used as a path.
 */
export function displayFilename(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? '';
  const clean = [...base.normalize('NFC')]
    .filter((char) => !invisible(char.codePointAt(0) ?? 0))
    .join('')
    .trim();
  const cut = [...clean].slice(0, 255).join('');
  return cut === '' || cut === '.' || cut === '..' ? 'file' : cut;
}
