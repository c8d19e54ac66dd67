// The HTTP side of uploads: turning a graphql-upload-ts file into an ImportSource, refusing
// oversized requests before reading them, and answering upload errors as GraphQL errors with a
// stable code (graphql-upload-ts hands them to Express, whose default answer is an HTML page).
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { FileUpload } from 'graphql-upload-ts';
import { BadRequestError, errorResponseBody, isDomainError, PayloadTooLargeError } from '../errors.js';
import type { ImportSource } from '../users/import/import.model.js';
import { UploadTooLargeError, UploadTooManyFilesError } from '../users/import/import.error.js';

/** Largest `operations` or `map` field of a multipart request (graphql-upload's maxFieldSize). */
export const UPLOAD_MAX_FIELD_BYTES = 1_000_000;

// Besides the file, a multipart request carries the `operations` and `map` fields (each at most
// UPLOAD_MAX_FIELD_BYTES) and part headers: a request longer than this has a file
// over the limit for certain.
const MULTIPART_OVERHEAD = 2 * UPLOAD_MAX_FIELD_BYTES + 64 * 1024;

/**
 * The upload as an import source. The file is parsed as it arrives; when the request declared a
 * length within the limit the import commits as it goes, otherwise it commits nothing until the
 * whole file has arrived, so a file that turns out too large leaves nothing written.
 */
export async function uploadSource(file: Promise<FileUpload>, declaredBytes: number | undefined, maxBytes: number): Promise<ImportSource> {
  let upload: FileUpload;
  let stream;
  try {
    upload = await file;
    stream = upload.createReadStream();
  } catch (error) {
    // graphql-upload-ts rejects with http-errors: 413 over the limit, 400 when the file part is
    // missing, 499 when the client left.
    const status = (error as { status?: number }).status;
    if (status === 413) throw new UploadTooLargeError(maxBytes);
    if (status !== undefined && status >= 400 && status < 500) throw new BadRequestError((error as Error).message);
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
    // Drain what the client is still sending so it reads this answer instead of a reset.
    req.resume();
    const error = new UploadTooLargeError(maxBytes);
    res.status(error.status).json(errorResponseBody(error));
  };
}

/**
 * graphql-upload-ts's errors as errors with a code, passed on to the server's error handler.
 * Everything that reaches this handler came from reading the multipart request: http-errors
 * with a status from graphql-upload-ts, or busboy's plain errors for a malformed body.
 */
export function uploadErrors(limits: { maxBytes: number; maxFieldBytes: number }): ErrorRequestHandler {
  return (error: unknown, _req, _res, next) => {
    if (isDomainError(error)) {
      next(error);
      return;
    }
    const status = typeof error === 'object' && error !== null && 'status' in error ? Number(error.status) : NaN;
    const message = error instanceof Error ? error.message : String(error);
    if (status === 413) {
      if (/max file uploads/.test(message)) next(new UploadTooManyFilesError(message));
      else if (/multipart field/.test(message)) next(new PayloadTooLargeError(limits.maxFieldBytes, message));
      else next(new UploadTooLargeError(limits.maxBytes));
    } else if (status >= 400 && status < 500) {
      // graphql-upload-ts's own messages (fixed text and a link to the spec) say what to fix.
      next(new BadRequestError(message, status));
    } else {
      // busboy: "Unexpected end of form", "Malformed part header", "Multipart: Boundary not found".
      next(new BadRequestError(`Malformed multipart request: ${message.slice(0, 100)}`));
    }
  };
}
