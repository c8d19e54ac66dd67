// The HTTP side of uploads: turning a graphql-upload-ts file into an ImportSource, refusing
// oversized requests before reading them, and answering upload errors as GraphQL errors with a
// stable code (graphql-upload-ts hands them to Express, whose default answer is an HTML page).
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { FileUpload } from 'graphql-upload-ts';
import type { ImportSource } from './import.runner.js';
import { UploadTooLargeError } from './import.errors.js';

// Besides the file, a multipart request carries the `operations` and `map` fields (each at most
// 1 MB, graphql-upload's maxFieldSize) and part headers: a request longer than this has a file
// over the limit for certain.
const MULTIPART_OVERHEAD = 2_000_000 + 64 * 1024;

/**
 * The upload as an import source. The file is parsed as it arrives; when the request declared a
 * length within the limit the import commits as it goes, otherwise it commits nothing until the
 * whole file has arrived, so a file that turns out too large leaves nothing written.
 */
export function uploadSource(upload: FileUpload, declaredBytes: number | undefined, maxBytes: number): ImportSource {
  let stream;
  try {
    stream = upload.createReadStream();
  } catch (error) {
    if ((error as { status?: number }).status === 413) throw new UploadTooLargeError(maxBytes);
    throw error;
  }
  // graphql-upload-ts destroys this stream with the 413 (or 499 when the client leaves) as soon
  // as the limit is crossed, possibly before the import pipes it: the import record is written
  // first, and an import that fails to start never reads it. An 'error' event with no listener
  // kills the process, so the stream gets one now; the import's pipeline still sees the error
  // (a destroyed stream keeps it) and ends as UPLOAD_TOO_LARGE.
  stream.on('error', ignoreHere);
  const boundedByHeader = declaredBytes !== undefined && declaredBytes <= maxBytes;
  return { filename: upload.filename, stream, ...(boundedByHeader ? {} : { complete: arrival(upload) }) };
}

/** Upload stream errors are reported by whoever reads the stream (the import), not here. */
function ignoreHere(): void {}

function arrival(upload: FileUpload): Promise<void> {
  const capacitor = upload.capacitor;
  if (capacitor.writableFinished) return Promise.resolve();
  const settled = new Promise<void>((resolve, reject) => {
    capacitor.once('finish', () => resolve());
    capacitor.once('error', reject);
    capacitor.once('close', () => reject(new Error('upload released before it arrived')));
  });
  settled.catch(() => undefined); // awaited only when the first chunk is ready
  return settled;
}

/** 413 at once for a multipart request whose declared length is beyond the limit. */
export function rejectOversizedUploads(maxBytes: number): RequestHandler {
  return (req, res, next) => {
    const declared = Number(req.headers['content-length']);
    if (!req.is('multipart/form-data') || !(declared > maxBytes + MULTIPART_OVERHEAD)) {
      next();
      return;
    }
    const error = new UploadTooLargeError(maxBytes);
    // Drain what the client is still sending so it reads this answer instead of a reset.
    req.resume();
    res.status(413).json({ errors: [{ message: error.message, extensions: { code: error.code, status: 413, ...error.details } }] });
  };
}

/** graphql-upload-ts's errors (http-errors with a status) as GraphQL errors with a code. */
export const uploadErrors: ErrorRequestHandler = (error: unknown, _req, res, next) => {
  const status = typeof error === 'object' && error !== null && 'status' in error ? Number(error.status) : NaN;
  if (!(status >= 400 && status < 500) || res.headersSent) {
    next(error);
    return;
  }
  const message = error instanceof Error ? error.message : 'Bad upload request';
  const code = status === 413 ? (/max file uploads/.test(message) ? 'UPLOAD_TOO_MANY_FILES' : 'UPLOAD_TOO_LARGE') : 'BAD_REQUEST';
  res.status(status).json({ errors: [{ message, extensions: { code, status } }] });
};
