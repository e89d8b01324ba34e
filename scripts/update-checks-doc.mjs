#!/usr/bin/env node
// Regenerates the table of checks inside README.md (between the checks markers) from the catalogue.
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const readme = new URL('../README.md', import.meta.url);
const table = execFileSync(process.execPath, [new URL('../bin/proxyspec.js', import.meta.url).pathname, 'list', '--markdown'], { encoding: 'utf8' });
const text = readFileSync(readme, 'utf8');
const start = '<!-- checks:start -->';
const end = '<!-- checks:end -->';
if (!text.includes(start) || !text.includes(end)) throw new Error('README.md lacks the checks markers');
const next = `${text.slice(0, text.indexOf(start) + start.length)}\n${table}${text.slice(text.indexOf(end))}`;
writeFileSync(readme, next);
