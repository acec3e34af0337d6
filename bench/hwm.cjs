// Preloaded into the command under test (`node --require bench/hwm.cjs dist/cli.js …`): when the
// process exits, write its own peak resident memory to the file named by JOBSPEC_BENCH_HWM.
// VmHWM is the kernel's high-water mark for this process alone (ffmpeg children not included),
// so no sampling can miss a short peak, such as the report being written at the very end.
'use strict';
const fs = require('node:fs');

const target = process.env.JOBSPEC_BENCH_HWM;
if (target) {
  process.on('exit', () => {
    let status = '';
    try {
      status = fs.readFileSync('/proc/self/status', 'utf8');
    } catch {
      // Not Linux: only maxRSS below.
    }
    const kb = (key) => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) : null;
    };
    const out = { vm_hwm_kb: kb('VmHWM'), vm_rss_kb: kb('VmRSS'), max_rss_kb: process.resourceUsage().maxRSS };
    fs.writeFileSync(target, JSON.stringify(out) + '\n');
  });
}
