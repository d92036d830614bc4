#!/usr/bin/env node
// `npm run bench`: runs every bench section, each in its own process, one after the other (never in
// parallel: they measure CPU). A section is a file `bench/<name>.bench.mjs` (plain node) or
// `bench/<name>.bench.ts` (run with tsx) that prints its own table. Overhead and accuracy first, then
// the others alphabetically, so a helper adds a section by adding a file.
//
//   npm run bench                      all sections, full settings (overhead + accuracy: about 9 minutes on 2 cores)
//   npm run bench -- overhead          just the named section(s)
//   BENCH_QUICK=1 npm run bench        a quick pass with rough numbers
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIRST = ['overhead', 'accuracy'];
const files = readdirSync(HERE).filter((f) => /\.bench\.(mjs|ts)$/.test(f));
const sections = files
  .map((file) => ({ file, name: file.replace(/\.bench\.(mjs|ts)$/, '') }))
  .sort((a, b) => {
    const ia = FIRST.indexOf(a.name);
    const ib = FIRST.indexOf(b.name);
    return (ia < 0 ? FIRST.length : ia) - (ib < 0 ? FIRST.length : ib) || a.name.localeCompare(b.name);
  });

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !sections.some((s) => s.name === w));
if (unknown.length) {
  console.error(`bench: unknown section ${unknown.join(', ')} (sections: ${sections.map((s) => s.name).join(', ')})`);
  process.exit(2);
}
const chosen = wanted.length ? sections.filter((s) => wanted.includes(s.name)) : sections;

const cpus = os.cpus();
console.log(
  `Stallscope bench · node ${process.version} · ${cpus.length} × ${cpus[0]?.model.trim() ?? 'cpu'} · load average ${os.loadavg()[0].toFixed(2)}` +
    (process.env.BENCH_QUICK === '1' ? ' · BENCH_QUICK' : ''),
);
const t0 = Date.now();
let failed = 0;
for (const s of chosen) {
  console.log(`\n━━ ${s.name} ${'━'.repeat(Math.max(0, 70 - s.name.length))}`);
  const argv = s.file.endsWith('.ts') ? ['--import', 'tsx', join(HERE, s.file)] : [join(HERE, s.file)];
  const r = spawnSync(process.execPath, argv, {
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: '' },
    timeout: Number(process.env.BENCH_SECTION_TIMEOUT_S ?? 1800) * 1000,
    killSignal: 'SIGKILL',
  });
  if (r.status !== 0) {
    failed++;
    console.error(`bench: section ${s.name} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`);
  }
}
console.log(`\nbench: ${chosen.length - failed}/${chosen.length} sections in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
process.exit(failed ? 1 : 0);
