// The report view's page. Builds the DOM from the model the extension sends (text only, never
// markup from the report), and sends back what the person asked for. Keyboard: every action is a
// button; a bar of the timeline takes you to its clip.
import { bytes } from '../extension/format';
import type { ClipModel, FromWebview, PosterMessage, ReportModel, ToWebview } from './model';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app') as HTMLElement;

type Child = Node | string | false | undefined;

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c !== false && c !== undefined) el.append(c);
  return el;
}

/**
 * Positions go through the CSSOM: the content security policy allows no style attributes
 * (no 'unsafe-inline'), and setting properties one by one is not one.
 */
function styled<T extends HTMLElement>(el: T, props: Record<string, string>): T {
  for (const [k, v] of Object.entries(props)) el.style.setProperty(k, v);
  return el;
}

function button(label: string, message: FromWebview, attrs: Record<string, string> = {}): HTMLButtonElement {
  const b = h('button', { type: 'button', ...attrs }, label);
  b.addEventListener('click', () => vscode.postMessage(message));
  return b;
}

/** As the core's formatDuration, which the page cannot import (its module needs node). */
function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

function seconds(s: number): string {
  return s < 10 ? `${s.toFixed(1)} s` : duration(s);
}

function when(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function badge(status: string, tone: string): HTMLElement {
  return h('span', { class: `badge ${tone}` }, status);
}

/** Durations measured by the extension as pictures come in, per clip. */
const durations = new Map<number, number>();
let model: ReportModel | undefined;

function speedText(c: ClipModel): string {
  const d = durations.get(c.index);
  if (d === undefined || c.status !== 'COMPLETED' || c.elapsedSeconds <= 0) return '';
  return `${(d / c.elapsedSeconds).toFixed(1)}× real time`;
}

function header(m: ReportModel): HTMLElement {
  const meta = [
    m.jobId && `job ${m.jobId}`,
    when(m.startedAt) && `started ${when(m.startedAt)}`,
    m.elapsedSeconds > 0 && `took ${seconds(m.elapsedSeconds)}`,
    m.ffmpeg,
  ]
    .filter(Boolean)
    .join(' · ');
  const counts = [
    `${m.done} of ${m.total} done`,
    m.failed > 0 && `${m.failed} failed`,
    m.notRun > 0 && `${m.notRun} ${m.status === 'INTERRUPTED' ? 'unfinished' : 'not run'}`,
  ]
    .filter(Boolean)
    .join(' · ');
  const actions = h('div', { class: 'actions', role: 'toolbar', 'aria-label': 'Report actions' });
  if (m.rerunLabel) actions.append(button(m.rerunLabel, { type: 'rerun' }, { class: 'primary' }));
  actions.append(button('Open as JSON', { type: 'openJson' }), button('Open JobSpec', { type: 'openJobSpec' }));
  const rerunOf = m.rerunOf
    ? h(
        'p',
        { class: 'meta' },
        'Re-run of ',
        (() => {
          const a = button(m.rerunOf.split(/[\\/]/).pop() ?? m.rerunOf, { type: 'openReport', file: m.rerunOf }, { class: 'link' });
          return a;
        })(),
      )
    : undefined;
  return h(
    'header',
    {},
    h('h1', {}, m.name, ' ', badge(m.status, m.tone)),
    h('p', { class: 'meta' }, meta),
    rerunOf,
    h('p', { class: 'counts' }, counts),
    actions,
  );
}

function timeline(m: ReportModel): HTMLElement | undefined {
  const ran = m.clips.filter((c) => c.start !== undefined && c.end !== undefined);
  if (ran.length === 0) return undefined;
  const total = Math.max(m.elapsedSeconds, ...ran.map((c) => c.end ?? 0), 0.001);
  const section = h(
    'section',
    { class: 'timeline', 'aria-label': 'Timeline of the run' },
    h('h2', {}, m.lanes > 1 ? `Timeline · up to ${m.lanes} clips at once` : 'Timeline'),
  );
  const lanes = styled(h('div', { class: 'lanes' }), { '--lanes': String(m.lanes) });
  for (const c of ran) {
    const left = ((c.start ?? 0) / total) * 100;
    const encoded = c.encoded ?? c.end ?? 0;
    const width = Math.max(0.6, ((encoded - (c.start ?? 0)) / total) * 100);
    // The checks after the encode: a thin line below the lane's bars, since the next clip may already
    // be encoding in that lane.
    const checking = (c.end ?? 0) - encoded;
    if (checking > 0) {
      const tail = h('span', { class: `check ${c.tone}`, title: `${c.name}: checked for ${seconds(checking)} after its encode` });
      styled(tail, {
        left: `${((encoded / total) * 100).toFixed(3)}%`,
        width: `${((checking / total) * 100).toFixed(3)}%`,
        top: `calc(${c.lane + 1} * var(--lane-height) - 3px)`,
      });
      lanes.append(tail);
    }
    const bar = h(
      'button',
      {
        type: 'button',
        class: `bar ${c.tone}`,
        title: `${c.name}: ${c.status}, ${seconds(c.elapsedSeconds)} (from ${seconds(c.start ?? 0)})`,
        'aria-label': `Clip ${c.index + 1}, ${c.name}, ${c.status}, ${seconds(c.elapsedSeconds)}: go to the clip`,
      },
      h('span', {}, c.name),
    );
    styled(bar, { left: `${left.toFixed(3)}%`, width: `${width.toFixed(3)}%`, top: `calc(${c.lane} * var(--lane-height))` });
    bar.addEventListener('click', () => {
      const card = document.getElementById(`clip-${c.index}`);
      card?.scrollIntoView({ block: 'center' });
      card?.focus();
    });
    lanes.append(bar);
  }
  const axis = h('div', { class: 'axis', 'aria-hidden': 'true' });
  const step = niceStep(total);
  for (let t = 0; t <= total + 1e-9; t += step)
    axis.append(styled(h('span', {}, duration(t)), { left: `${((t / total) * 100).toFixed(3)}%` }));
  section.append(lanes, axis);
  return section;
}

function niceStep(total: number): number {
  for (const s of [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600]) if (total / s <= 8) return s;
  return 7200;
}

function picture(c: ClipModel, which: 'source' | 'proxy'): HTMLElement {
  const label = which === 'source' ? 'Source' : 'Proxy';
  const size = which === 'source' ? c.sourceSize : c.outputSize;
  const frame = h(
    'div',
    { class: 'frame', id: `poster-${which}-${c.index}` },
    h('span', {}, which === 'proxy' && c.status !== 'COMPLETED' && c.status !== 'SKIPPED' ? 'no proxy' : '…'),
  );
  const caption = h(
    'figcaption',
    { id: `caption-${which}-${c.index}` },
    [label, size !== undefined ? bytes(size) : ''].filter(Boolean).join(' · '),
  );
  return h('figure', {}, frame, caption);
}

function clipCard(c: ClipModel): HTMLElement {
  const facts = h('dl', {});
  const fact = (k: string, v: string | Node): void => {
    if (v === '') return;
    facts.append(h('dt', {}, k), h('dd', {}, v));
  };
  fact('Output', c.outputName);
  if (c.start !== undefined) fact('Time', `${seconds(c.elapsedSeconds)}, from ${seconds(c.start)} into the run`);
  if (c.status === 'COMPLETED') fact('Speed', h('span', { id: `speed-${c.index}` }, speedText(c)));
  if (c.sourceSize !== undefined && c.outputSize !== undefined && c.sourceSize > 0)
    fact('Size', `${bytes(c.outputSize)} of ${bytes(c.sourceSize)} (${((c.outputSize / c.sourceSize) * 100).toFixed(0)}%)`);
  const checks =
    c.checks.length > 0
      ? h(
          'table',
          { class: 'checks' },
          h('caption', {}, `Relink checks: ${c.checks.filter((k) => k.ok).length} of ${c.checks.length} passed`),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Check'),
              h('th', { scope: 'col' }, 'Expected'),
              h('th', { scope: 'col' }, 'Proxy'),
              h('th', { scope: 'col' }, ''),
            ),
          ),
          h(
            'tbody',
            {},
            ...c.checks.map((k) =>
              h(
                'tr',
                { class: k.ok ? 'ok' : 'error' },
                h('td', {}, k.name),
                h('td', {}, k.expected ?? ''),
                h('td', {}, k.actual ?? ''),
                h('td', { 'aria-label': k.ok ? 'passed' : 'failed' }, k.ok ? '✓' : '✗'),
              ),
            ),
          ),
        )
      : undefined;
  const actions = h('div', { class: 'actions' });
  if (c.outputExists)
    actions.append(button('Open Proxy', { type: 'openProxy', index: c.index }, { 'aria-label': `Open the proxy of ${c.name}` }));
  actions.append(button('Reveal Source', { type: 'revealSource', index: c.index }, { 'aria-label': `Reveal the source ${c.name}` }));
  return h(
    'article',
    { class: `clip ${c.tone}`, id: `clip-${c.index}`, tabindex: '-1', 'aria-label': `Clip ${c.index + 1}: ${c.name}, ${c.status}` },
    h('h3', {}, h('span', { class: 'index' }, String(c.index + 1).padStart(3, '0')), ' ', c.name, ' ', badge(c.status, c.tone)),
    h('div', { class: 'frames' }, picture(c, 'source'), picture(c, 'proxy')),
    c.message ? h('p', { class: `message ${c.tone}` }, c.message) : undefined,
    facts,
    checks,
    actions,
  );
}

function render(m: ReportModel): void {
  model = m;
  app.replaceChildren();
  if (m.error) {
    app.append(
      h(
        'header',
        {},
        h('h1', {}, m.name),
        h('p', { class: 'message error' }, m.error),
        h('div', { class: 'actions' }, button('Open as JSON', { type: 'openJson' })),
      ),
    );
    return;
  }
  const list = h('section', { class: 'clips', 'aria-label': 'Clips' }, h('h2', {}, `Clips (${m.total})`), ...m.clips.map(clipCard));
  app.append(header(m), timeline(m) ?? '', list);
}

function poster(p: PosterMessage): void {
  if (p.durationSeconds !== undefined && p.which === 'source') {
    durations.set(p.index, p.durationSeconds);
    const clip = model?.clips.find((c) => c.index === p.index);
    const speed = document.getElementById(`speed-${p.index}`);
    if (clip && speed) speed.textContent = speedText(clip);
    const caption = document.getElementById(`caption-source-${p.index}`);
    if (caption && !caption.textContent?.includes(' long'))
      caption.textContent = `${caption.textContent ?? ''} · ${duration(p.durationSeconds)} long`;
  }
  const frame = document.getElementById(`poster-${p.which}-${p.index}`);
  if (!frame) return;
  if (!p.src) {
    frame.replaceChildren(h('span', {}, 'no picture: ffmpeg cannot read it'));
    return;
  }
  const clip = model?.clips.find((c) => c.index === p.index);
  frame.replaceChildren(
    h('img', { src: p.src, alt: `${p.which === 'source' ? 'Source' : 'Proxy'} frame of ${clip?.name ?? `clip ${p.index + 1}`}` }),
  );
}

window.addEventListener('message', (e: MessageEvent<ToWebview>) => {
  const m = e.data;
  if (m.type === 'report') render(m.model);
  else if (m.type === 'poster') poster(m);
});
vscode.postMessage({ type: 'ready' });
