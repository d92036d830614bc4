import { tsImport } from 'tsx/esm/api';
const harness = await tsImport('../test/webview/harness.ts', import.meta.url);
const synthetic = await tsImport('../test/webview/synthetic.ts', import.meta.url);
const src = (await import('node:fs')).readFileSync('bench/webview.bench.mjs', 'utf8');
const b = await harness.launchChromium(); const srv = await harness.startWebviewServer();
const hour = synthetic.syntheticRecording({ endMs: Date.UTC(2025,0,15,12), stalls: 10000 });
const q = (xs, p) => [...xs].sort((a,b)=>a-b)[Math.floor(p*xs.length)];
async function run(label, css) {
  const tp = await harness.openTimeline(b, srv);
  await tp.send({ type: 'reset', state: hour }); await tp.settle();
  if (css) await tp.page.evaluate((c) => { for (const el of document.querySelectorAll(c)) el.style.display = 'none'; }, css);
  const marks = await tp.page.locator('rect.stall-mark').count();
  const cdp = await tp.page.context().newCDPSession(tp.page); await cdp.send('Performance.enable');
  const m0 = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map(m => [m.name, m.value]));
  await cdp.send('Profiler.enable'); await cdp.send('Profiler.setSamplingInterval', { interval: 200 }); await cdp.send('Profiler.start');
  const res = await tp.page.evaluate(async () => {
    const svg = document.querySelector('svg.plot-svg'); const box = svg.getBoundingClientRect(); const cy = box.top + 60;
    const out = [];
    for (let i = 0; i < 40; i++) {
      const x = box.left + box.width * (0.3 + 0.4 * ((i * 37) % 11) / 10);
      let f0 = 0, f1 = 0;
      requestAnimationFrame(() => (f0 = performance.now()));
      const e0 = performance.now();
      if (i < 20) svg.dispatchEvent(new WheelEvent('wheel', { deltaY: i < 10 ? -180 : 180, clientX: x, clientY: cy, bubbles: true, cancelable: true, view: window }));
      else { svg.dispatchEvent(new MouseEvent('mousedown', { button: 0, clientX: x, clientY: cy, bubbles: true, view: window })); window.dispatchEvent(new MouseEvent('mousemove', { clientX: x + (i%2? -100: 100), clientY: cy, bubbles: true, view: window })); window.dispatchEvent(new MouseEvent('mouseup', { clientX: x, clientY: cy, bubbles: true, view: window })); }
      const e1 = performance.now();
      const f2 = await new Promise((res) => requestAnimationFrame(() => { f1 = performance.now(); const ch = new MessageChannel(); ch.port1.onmessage = () => res(performance.now()); ch.port2.postMessage(0); }));
      out.push([e1 - e0 + f2 - f0, e1 - e0 + f1 - f0]);
      await new Promise((r) => setTimeout(r, 20));
    }
    return out;
  });
  const { profile } = await cdp.send('Profiler.stop');
  const self = new Map(); const byId = new Map(profile.nodes.map(n => [n.id, n]));
  const dt = profile.timeDeltas; const counts = new Map();
  profile.samples.forEach((id, i) => counts.set(id, (counts.get(id) || 0) + (dt[i] || 0)));
  for (const [id, t] of counts) { const n = byId.get(id); const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) || 0) + t); }
  console.log([...self].sort((a,b)=>b[1]-a[1]).slice(0, 25).map(([k,t]) => `${(t/1000/40).toFixed(2)}ms ${k}`).join('\n'));
  const m1 = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map(m => [m.name, m.value]));
  const d = (k) => ((m1[k] - m0[k]) * 1000 / 40).toFixed(1);
  console.log('   per step: task', d('TaskDuration'), 'script', d('ScriptDuration'), 'style', d('RecalcStyleDuration'), 'layout', d('LayoutDuration'), 'others', (d('TaskDuration') - d('ScriptDuration') - d('RecalcStyleDuration') - d('LayoutDuration')).toFixed(1));
  console.log(label.padEnd(20), 'marks', marks, 'frame med', q(res.map(r=>r[0]),0.5).toFixed(1), 'p95', q(res.map(r=>r[0]),0.95).toFixed(1), 'js med', q(res.map(r=>r[1]),0.5).toFixed(1), 'p95', q(res.map(r=>r[1]),0.95).toFixed(1));
  await tp.close();
}
for (const [l, c] of [['all', null]]) await run(l, c);
await b.close(); await srv.close();
