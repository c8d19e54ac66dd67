// The one file of a plain multipart/form-data upload (POST /api/users/import, field `file`),
// streamed to the import as it arrives (busboy, which graphql-upload-ts uses for GraphQL's
// multipart requests). "Nothing half-written" holds by the length: the request must declare a
// Content-Length within UPLOAD_MAX_BYTES, so the file inside it is within the limit for certain
// and the import may commit chunk by chunk; a longer request is UPLOAD_TOO_LARGE before a byte is
// read, and one without a length (chunked) is refused with 411 rather than buffered.
import type { Request } from 'express';
import busboy from 'busboy';
import { BadRequestError } from '../errors.js';
import type { ImportSource } from '../users/import/import.model.js';
import { UploadTooLargeError, UploadTooManyFilesError } from '../users/import/import.error.js';

export function multipartFile(req: Request, field: string, maxBytes: number): Promise<ImportSource> {
  if (!req.is('multipart/form-data')) return Promise.reject(new BadRequestError(`Send the file as multipart/form-data, in the field "${field}"`, 415));
  const declared = Number(req.headers['content-length']);
  if (req.headers['content-length'] === undefined || !Number.isSafeInteger(declared)) {
    return Promise.reject(new BadRequestError('An upload needs a Content-Length header (curl -F sends one)', 411));
  }
  if (declared > maxBytes) return Promise.reject(new UploadTooLargeError(maxBytes));
  return new Promise<ImportSource>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: 1, fileSize: maxBytes, fields: 20, fieldSize: 1024 } });
    } catch (error) {
      reject(new BadRequestError(`Malformed multipart request: ${(error as Error).message.slice(0, 100)}`));
      return;
    }
    let found = false;
    parser.on('file', (name, stream, info) => {
      if (name !== field || found) {
        stream.resume();
        return;
      }
      found = true;
      // Cannot happen within the declared length; kept as the guard it would need otherwise.
      stream.once('limit', () => stream.destroy(new UploadTooLargeError(maxBytes)));
      resolve({ filename: info.filename || 'upload.csv', stream });
    });
    parser.once('filesLimit', () => reject(new UploadTooManyFilesError('One file per request')));
    parser.once('error', (error: Error) => reject(new BadRequestError(`Malformed multipart request: ${error.message.slice(0, 100)}`)));
    parser.once('close', () => {
      if (!found) reject(new BadRequestError(`No file in the multipart field "${field}"`));
    });
    req.pipe(parser);
  });
}
