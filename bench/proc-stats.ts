// Linux /proc readings for the benchmark: CPU seconds of any process (the servers), and the peak resident set
// of this process (VmHWM), which can be reset between measurements by writing 5 to /proc/self/clear_refs.
import { readFileSync, writeFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every mainstream Linux build). */
const CLOCK_TICKS = 100;

/** User + system CPU seconds of `pid` and its waited-for children, or undefined when /proc cannot tell. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [utime, stime, cutime, cstime] = [fields[11], fields[12], fields[13], fields[14]].map(Number);
    if ([utime, stime, cutime, cstime].some((v) => v === undefined || !Number.isFinite(v))) return undefined;
    return ((utime ?? 0) + (stime ?? 0) + (cutime ?? 0) + (cstime ?? 0)) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** Current resident set of `pid` in bytes (VmRSS), or undefined. */
export function processRssBytes(pid: number): number | undefined {
  return statusKb(`/proc/${pid}/status`, 'VmRSS');
}

/** Peak resident set of this process since start or the last resetPeakRss() (VmHWM), or undefined. */
export function peakRssBytes(): number | undefined {
  return statusKb('/proc/self/status', 'VmHWM');
}

/** Resets VmHWM to the current RSS; false when the kernel refuses (then only sampling is available). */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

function statusKb(file: string, key: string): number | undefined {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(file, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
