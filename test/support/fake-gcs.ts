// How fake-gcs-server is started, for the test run's global setup and the benchmark's stack alike.

/**
 * fake-gcs-server's command line for an in-memory server at `http://<host>:<port>`: the external URL and public host
 * are that address, so the object URLs and resumable-upload locations it hands out point back at it.
 */
export function fakeGcsArgs(host: string, port: number): string[] {
  const url = `http://${host}:${port}`;
  return [
    '-scheme',
    'http',
    '-host',
    host,
    '-port',
    String(port),
    '-backend',
    'memory',
    '-external-url',
    url,
    '-public-host',
    `${host}:${port}`,
    '-log-level',
    'warn',
  ];
}
