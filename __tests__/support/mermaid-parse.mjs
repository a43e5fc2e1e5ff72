// Parses mermaid diagrams with mermaid itself, as GitHub renders them: reads a JSON array of diagram
// texts on stdin, writes a JSON array of results on stdout, each `{ ok: true, type }` or
// `{ ok: false, error }`. mermaid needs a DOM (DOMPurify): jsdom's window stands in for a browser's.
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
for (const name of ['window', 'document', 'navigator', 'Element', 'HTMLElement', 'SVGElement', 'DOMParser', 'Node']) {
  if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value: dom.window[name], configurable: true, writable: true });
}
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });

let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const text of JSON.parse(input)) {
  try {
    const parsed = await mermaid.parse(text);
    results.push({ ok: true, type: parsed.diagramType });
  } catch (error) {
    results.push({ ok: false, error: String(error?.message ?? error) });
  }
}
process.stdout.write(JSON.stringify(results));
