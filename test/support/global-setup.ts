// Placeholder: replaced by the real server bootstrap (Temporal dev server, fake-gcs-server).
export default function setup(): void {}
