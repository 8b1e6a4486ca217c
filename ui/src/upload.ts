/**
 * A multipart upload to POST /v1/jobs with progress and cancel: XMLHttpRequest, because fetch()
 * reports no upload progress. The key goes in the Authorization header.
 */
import { authHeaders } from './api';

export interface UploadHandle {
  done: Promise<{ id: string }>;
  cancel(): void;
}

export function uploadFile(file: File, options: Record<string, string>, onProgress: (sent: number, total: number) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const form = new FormData();
  for (const [name, value] of Object.entries(options)) form.set(name, value);
  form.set('file', file, file.name);
  const done = new Promise<{ id: string }>((resolve, reject) => {
    xhr.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    xhr.onload = () => {
      let body: { id?: string; error?: { code: string; message: string } } = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        // keep the status
      }
      if (xhr.status === 202 && body.id) resolve({ id: body.id });
      else reject(new Error(body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${xhr.status}`));
    };
    xhr.onerror = () => reject(new Error('the upload failed (network)'));
    xhr.onabort = () => reject(new Error('cancelled'));
  });
  xhr.open('POST', '/v1/jobs');
  for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
  xhr.setRequestHeader('Accept', 'application/json');
  xhr.send(form);
  return { done, cancel: () => xhr.abort() };
}
