// The policy fingerprint a receipt must carry, worked out here from the policy's sources, as
// an auditor would: not asked of the server, whose answer it checks.
//
// The README's ("Proof an auditor can check", and `receipts::policy_document`): SHA-256, in
// hex, of `{"catalog": CATALOG, "notice": NOTICE, "wording": WORDING}` as serde_json writes
// it: the constants of `src/catalog.rs`, `src/notice.rs` and `src/wording.rs`, each struct an
// object of its fields by name, an enum
// variant by its serde name, object keys in sorted order (serde_json's map without
// `preserve_order`), no spaces. A source this reader cannot follow (a serde attribute it does
// not know, say) makes it throw rather than guess.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

type Value = string | number | boolean | Value[] | { [key: string]: Value };

const SOURCES = ['catalog.rs', 'notice.rs', 'wording.rs'].map((file) => path.resolve(__dirname, '..', '..', 'src', file));

/** The fingerprint of the catalog, the notice and the wording in this checkout's sources. */
export function policyFingerprint(): string {
  const source = SOURCES.map((file) => fs.readFileSync(file, 'utf8')).join('\n');
  const policy = {
    catalog: constant(source, 'CATALOG'),
    notice: constant(source, 'NOTICE'),
    wording: constant(source, 'WORDING'),
  };
  return createHash('sha256').update(JSON.stringify(sorted(policy))).digest('hex');
}

/** Object keys in byte order, as serde_json's default map keeps them. */
function sorted(value: Value): Value {
  if (Array.isArray(value)) return value.map(sorted);
  if (typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      .map((key) => [key, sorted(value[key])]),
  );
}

/** The value of `pub const NAME: Type = …;` in `source`. */
function constant(source: string, name: string): Value {
  const start = new RegExp(`pub const ${name}\\s*:[^=]*=`).exec(source);
  if (!start) throw new Error(`no constant ${name} in ${SOURCES.join(', ')}`);
  const tokens = tokenize(source.slice(start.index + start[0].length));
  return new Reader(tokens, source).expression();
}

type Token = { kind: 'string' | 'word' | 'number' | 'punct'; text: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) i++;
    else if (text.startsWith('//', i)) i = text.indexOf('\n', i) === -1 ? text.length : text.indexOf('\n', i);
    else if (c === '"') {
      let value = '';
      i++;
      while (text[i] !== '"') {
        if (i >= text.length) throw new Error('unterminated string');
        if (text[i] === '\\') {
          const e = text[i + 1];
          const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', '"': '"', "'": "'" };
          if (e in simple) {
            value += simple[e];
            i += 2;
          } else if (e === 'u') {
            const close = text.indexOf('}', i);
            value += String.fromCodePoint(parseInt(text.slice(i + 3, close), 16));
            i = close + 1;
          } else throw new Error(`escape \\${e} not read here`);
        } else value += text[i++];
      }
      i++;
      tokens.push({ kind: 'string', text: value });
    } else if (/[A-Za-z_]/.test(c)) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*/.exec(text.slice(i))![0];
      tokens.push({ kind: 'word', text: word });
      i += word.length;
    } else if (/[0-9]/.test(c)) {
      const number = /^[0-9][0-9_]*/.exec(text.slice(i))![0];
      tokens.push({ kind: 'number', text: number.replace(/_/g, '') });
      i += number.length;
    } else {
      tokens.push({ kind: 'punct', text: c });
      i++;
      if (c === ';') break; // the end of the constant
    }
  }
  return tokens;
}

class Reader {
  private at = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
  ) {}

  private next(): Token {
    const token = this.tokens[this.at++];
    if (!token) throw new Error('the constant ends too soon');
    return token;
  }

  private peek(): Token | undefined {
    return this.tokens[this.at];
  }

  private take(text: string) {
    const token = this.next();
    if (token.text !== text) throw new Error(`expected ${text}, found ${token.text}`);
  }

  expression(): Value {
    const token = this.next();
    if (token.kind === 'string') return token.text;
    if (token.kind === 'number') return Number(token.text);
    if (token.text === '&') return this.expression();
    if (token.text === '[') {
      const items: Value[] = [];
      while (this.peek()?.text !== ']') {
        items.push(this.expression());
        if (this.peek()?.text === ',') this.next();
      }
      this.take(']');
      return items;
    }
    if (token.kind !== 'word') throw new Error(`unexpected ${token.text}`);
    if (token.text === 'true' || token.text === 'false') return token.text === 'true';
    if (this.peek()?.text === '{') return this.struct(token.text);
    if (token.text.includes('::')) return this.variant(token.text);
    return constant(this.source, token.text);
  }

  /** A struct literal: its fields by name, after checking serde writes them so. */
  private struct(name: string): Value {
    const declaration = new RegExp(`((?:#\\[[^\\]]*\\]\\s*)*)pub struct ${name}\\b`).exec(this.source);
    if (!declaration) throw new Error(`no struct ${name} in the sources`);
    if (/serde/.test(declaration[1]) || new RegExp(`pub struct ${name}\\b[^}]*#\\[serde`).test(this.source)) {
      throw new Error(`struct ${name} has serde attributes: the fingerprint recipe here needs them`);
    }
    this.take('{');
    const fields: { [key: string]: Value } = {};
    while (this.peek()?.text !== '}') {
      const field = this.next();
      this.take(':');
      fields[field.text] = this.expression();
      if (this.peek()?.text === ',') this.next();
    }
    this.take('}');
    return fields;
  }

  /** A unit variant `Enum::Variant`, named as the enum's `rename_all` says. */
  private variant(pathText: string): Value {
    const [enumName, variant] = pathText.split('::');
    const declaration = new RegExp(`((?:#\\[[^\\]]*\\]\\s*)*)pub enum ${enumName}\\b`).exec(this.source);
    if (!declaration) throw new Error(`no enum ${enumName} in the sources`);
    const attributes = declaration[1].match(/#\[serde\([^\]]*\]/g) ?? [];
    if (attributes.length === 0) return variant;
    if (attributes.length === 1 && /^#\[serde\(rename_all = "lowercase"\)\]$/.test(attributes[0])) return variant.toLowerCase();
    throw new Error(`enum ${enumName} has serde attributes not read here: ${attributes.join(' ')}`);
  }
}
