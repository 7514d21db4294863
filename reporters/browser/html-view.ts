// The HTML report's one script (reporters/html.ts inlines it, allowed by its hash): filters by
// level, verdict and drift, a search over each check's text, the state in the URL hash
// (#level=MUST&verdict=fail&q=...), deep links (#check-<id>) that open a check. No report data in
// it. Browser code: typechecked with the DOM library (./tsconfig.json), compiled by
// scripts/build.mjs to dist/reporters/html-view.js.
const checks = [...document.querySelectorAll<HTMLDetailsElement>('details.check')];
const sections = [...document.querySelectorAll<HTMLDetailsElement>('details.section')];
const boxes = [...document.querySelectorAll<HTMLInputElement>('input[data-filter]')];
const kinds = [...new Set(boxes.map((b) => b.dataset.filter!))];
const search = document.getElementById('search') as HTMLInputElement;
function state(): URLSearchParams {
  const p = new URLSearchParams();
  for (const kind of kinds) {
    const all = boxes.filter((b) => b.dataset.filter === kind);
    const on = all.filter((b) => b.checked).map((b) => b.value);
    if (on.length < all.length) p.set(kind, on.join(','));
  }
  if (search.value.trim()) p.set('q', search.value.trim());
  return p;
}
function apply(save: boolean): void {
  const on = Object.fromEntries(kinds.map((k) => [k, new Set(boxes.filter((b) => b.dataset.filter === k && b.checked).map((b) => b.value))]));
  const q = search.value.trim().toLowerCase();
  let shown = 0;
  for (const c of checks) {
    const visible = kinds.every((k) => on[k]!.has(c.dataset[k]!)) && (!q || c.textContent!.toLowerCase().includes(q));
    c.hidden = !visible;
    if (visible) shown++;
  }
  const narrowed = state().toString() !== '';
  for (const s of sections) {
    const n = s.querySelectorAll('details.check:not([hidden])').length;
    s.hidden = n === 0;
    s.querySelector(':scope > summary .shown')!.textContent = narrowed ? n + ' shown' : '';
    if (narrowed && n) s.open = true;
  }
  document.getElementById('shown')!.textContent = String(shown);
  document.getElementById('no-match')!.hidden = shown > 0;
  if (save) history.replaceState(null, '', state().toString() ? '#' + state().toString() : location.pathname + location.search);
}
function openCheck(id: string): boolean {
  const el = document.getElementById(id);
  if (!el || !el.classList.contains('check')) return false;
  if (el.hidden) {
    for (const b of boxes) b.checked = true;
    search.value = '';
    apply(false);
  }
  for (let e: HTMLElement | null = el; e; e = e.parentElement && e.parentElement.closest('details')) (e as HTMLDetailsElement).open = true;
  el.style.scrollMarginTop = (document.querySelector('.filters') as HTMLElement).offsetHeight + 8 + 'px'; // below the sticky filters
  el.scrollIntoView({ block: 'start' });
  el.querySelector('summary')!.focus({ preventScroll: true });
  return true;
}
function restore(): void {
  let h = location.hash.slice(1);
  try {
    h = decodeURIComponent(h);
  } catch {
    /* keep it as it is */
  }
  if (h.startsWith('check-') && openCheck(h)) return;
  const p = new URLSearchParams(location.hash.slice(1));
  for (const b of boxes) {
    const v = p.get(b.dataset.filter!);
    b.checked = v === null || v.split(',').includes(b.value);
  }
  search.value = p.get('q') || '';
  apply(false);
}
for (const b of boxes) b.addEventListener('change', () => apply(true));
search.addEventListener('input', () => apply(true));
window.addEventListener('hashchange', restore);
document.addEventListener('click', (e) => {
  const target = e.target as Element | null;
  const a = target && target.closest && target.closest('a[href^="#check-"]');
  if (a) openCheck(decodeURIComponent(a.getAttribute('href')!.slice(1)));
});
document.getElementById('expand')!.addEventListener('click', () => {
  for (const d of [...sections, ...checks]) if (!d.hidden) d.open = true;
});
document.getElementById('collapse')!.addEventListener('click', () => {
  for (const c of checks) c.open = false;
});
restore();
// Once laid out in full, a deep link scrolls to its check again (the layout may have moved it).
window.addEventListener('load', () => {
  if (location.hash.startsWith('#check-')) restore();
});
