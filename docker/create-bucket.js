// Creates GCS_BUCKET on a storage emulator (fake-gcs-server) at GCS_API_ENDPOINT; an existing bucket is fine.
// docker-compose.yml runs it once (service `gcs-init`) before the worker starts. Against real GCS, create the bucket
// with Terraform / gcloud instead: the worker refuses to start when its bucket does not exist.
/* global fetch, AbortSignal */
import process from 'node:process';

const endpoint = (process.env.GCS_API_ENDPOINT ?? '').replace(/\/+$/, '');
const bucket = process.env.GCS_BUCKET ?? '';
if (!endpoint || !bucket) {
  process.stderr.write('create-bucket: set GCS_API_ENDPOINT and GCS_BUCKET\n');
  process.exit(2);
}
const project = encodeURIComponent(process.env.GCS_PROJECT_ID || 'local');
const res = await fetch(`${endpoint}/storage/v1/b?project=${project}`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ name: bucket }),
  signal: AbortSignal.timeout(10_000),
});
if (res.ok) process.stdout.write(`created bucket ${bucket} on ${endpoint}\n`);
else if (res.status === 409) process.stdout.write(`bucket ${bucket} exists on ${endpoint}\n`);
else {
  process.stderr.write(`create-bucket: creating ${bucket} on ${endpoint} answered HTTP ${res.status}: ${(await res.text()).slice(0, 500)}\n`);
  process.exit(1);
}
