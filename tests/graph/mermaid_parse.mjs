// Parse Mermaid files with Mermaid's own parser (mermaid 11 + jsdom, installed beside this file)
// and print, per file, one JSON line: {"type", "nodes": [[id, label]], "edges"}. Labels have
// their `#NNN;` entity codes decoded, as Mermaid decodes them when it draws.
import fs from 'fs';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });

for (const file of process.argv.slice(2)) {
  const text = fs.readFileSync(file, 'utf8');
  const { diagramType } = await mermaid.parse(text);
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  const vertices = diagram.db.getVertices();
  const entries = vertices instanceof Map ? [...vertices.entries()] : Object.entries(vertices);
  // Mermaid keeps `#NNN;` as an internal placeholder until it renders.
  const decode = (s) => s.replace(/ﬂ°°(\d+)¶ß/g, (_, n) => String.fromCodePoint(Number(n)));
  const nodes = entries.map(([id, v]) => [id, decode(v.text)]);
  console.log(JSON.stringify({ type: diagramType, nodes, edges: diagram.db.getEdges().length }));
}
