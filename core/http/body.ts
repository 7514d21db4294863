// Body decoding: a Content-Encoding (gzip, deflate, br) undone within the read cap.
import zlib from 'node:zlib';
import type { HttpResponse, Received } from './types.js';

const DECODERS: Record<string, () => zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};

/** Inflates at most `max` bytes (and a little over, to know there was more): a bomb costs the cap. */
function inflate(stream: zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress, input: Buffer, max: number): Promise<{ data: Buffer; capped: boolean; error?: Error }> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    let done = false;
    const end = (v: { capped: boolean; error?: Error }) => {
      if (done) return;
      done = true;
      stream.destroy();
      resolve({ data: Buffer.concat(parts), ...v });
    };
    stream.on('data', (c: Buffer) => {
      parts.push(c);
      size += c.length;
      if (size > max) end({ capped: true });
    });
    stream.on('end', () => end({ capped: false })).on('error', (error) => end({ capped: false, error }));
    stream.end(input);
  });
}

/**
 * The body as text with its Content-Encoding (gzip, deflate, br; in the order applied) undone
 * within the read cap. A body cut at the cap decodes as far as it goes and stays truncated; one
 * that cannot be decoded is shown as received with the reason (`undecoded`).
 */
export async function decodeBody(r: Received, maxBody: number): Promise<Omit<HttpResponse, 'ms'>> {
  const { bytes, ...answer } = r;
  const codings = (r.headers['content-encoding'] ?? '').split(',').map((c) => c.trim().toLowerCase()).filter((c) => c && c !== 'identity');
  if (!codings.length || !bytes.length) return answer;
  let data = bytes;
  let truncated = r.truncated;
  for (const coding of codings.reverse()) {
    const make = DECODERS[coding];
    if (!make) return { ...answer, undecoded: `its Content-Encoding ${coding} is not one the suite decodes (gzip, deflate, br)` };
    const out = await inflate(make(), data, maxBody);
    if (out.error && !truncated) return { ...answer, undecoded: `its ${coding} Content-Encoding could not be decoded (${out.error.message.split('\n')[0]})` };
    data = out.data;
    truncated ||= out.capped;
  }
  return { ...answer, body: data.subarray(0, maxBody).toString('utf8'), truncated };
}
