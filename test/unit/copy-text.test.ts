import {
  COPY_NULL,
  arrayLiteral,
  copyArray,
  copyField,
  copyLine,
  escapeCopyText,
} from '#core/sample/copy-text';

/** Decodes one field of PostgreSQL COPY text format, as the server does. */
function decodeField(field: string): string | null {
  if (field === '\\N') return null;
  let out = '';
  for (let i = 0; i < field.length; i++) {
    const ch = field[i] as string;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = field[++i];
    if (next === undefined) throw new Error(`dangling backslash in ${field}`);
    const simple: Record<string, string> = {
      b: '\b',
      f: '\f',
      n: '\n',
      r: '\r',
      t: '\t',
      v: '\v',
    };
    if (simple[next] !== undefined) {
      out += simple[next];
    } else if (/[0-7]/.test(next)) {
      let digits = next;
      while (digits.length < 3 && /[0-7]/.test(field[i + 1] ?? '')) digits += field[++i];
      out += String.fromCharCode(parseInt(digits, 8));
    } else if (next === 'x' && /[0-9a-fA-F]/.test(field[i + 1] ?? '')) {
      let digits = field[++i] as string;
      if (/[0-9a-fA-F]/.test(field[i + 1] ?? '')) digits += field[++i];
      out += String.fromCharCode(parseInt(digits, 16));
    } else {
      out += next;
    }
  }
  return out;
}

/** Decodes one COPY text line (with its '\n') into fields. */
function decodeLine(line: string): (string | null)[] {
  if (!line.endsWith('\n')) throw new Error('a COPY line ends with a newline');
  return line.slice(0, -1).split('\t').map(decodeField);
}

/** Parses a one-dimensional PostgreSQL array literal, as array_in does. */
function parseArray(literal: string): (string | null)[] {
  if (!literal.startsWith('{') || !literal.endsWith('}')) throw new Error(`not an array literal`);
  const body = literal.slice(1, -1);
  if (body === '') return [];
  const out: (string | null)[] = [];
  let i = 0;
  for (;;) {
    if (body[i] === '"') {
      let value = '';
      i++;
      while (body[i] !== '"') {
        if (body[i] === '\\') i++;
        if (i >= body.length) throw new Error('unterminated quoted element');
        value += body[i];
        i++;
      }
      i++;
      out.push(value);
    } else {
      let raw = '';
      while (i < body.length && body[i] !== ',') {
        if (body[i] === '\\') i++;
        raw += body[i];
        i++;
      }
      const trimmed = raw.replace(/^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/g, '');
      out.push(trimmed.toUpperCase() === 'NULL' ? null : trimmed);
    }
    if (i >= body.length) return out;
    if (body[i] !== ',') throw new Error(`expected a comma at ${i} in ${literal}`);
    i++;
  }
}

const TRICKY = [
  '',
  'plain',
  'a\tb',
  'line1\nline2',
  'cr\rlf\r\n',
  'C:\\temp\\new',
  '\\N',
  '\\.',
  'trailing backslash \\',
  '日本語のテキスト',
  'Ünïcödé àccents',
  'emoji 🎉👩‍💻',
  'quote " and \' apostrophe',
];

describe('escapeCopyText', () => {
  it('leaves text without special characters unchanged', () => {
    // Prepare
    const value = 'Résumé 日本語 🎉 "quoted" {braces}, commas';

    // Act
    const escaped = escapeCopyText(value);

    // Assess
    expect(escaped).toBe(value);
  });

  it('escapes backslash, tab, newline and carriage return', () => {
    // Prepare
    const value = 'a\\b\tc\nd\re';

    // Act
    const escaped = escapeCopyText(value);

    // Assess
    expect(escaped).toBe('a\\\\b\\tc\\nd\\re');
  });

  it.each(TRICKY)('round-trips %j through the COPY decoder', (value) => {
    // Prepare
    const field = escapeCopyText(value);

    // Act
    const decoded = decodeField(field);

    // Assess
    expect(decoded).toBe(value);
    expect(field).not.toMatch(/[\t\n\r]/);
  });

  it('rejects the NUL character with a message that shows the value', () => {
    // Prepare
    const value = 'bad\u0000value';

    // Act
    const act = () => escapeCopyText(value);

    // Assess
    expect(act).toThrow(/NUL.*bad/);
  });
});

describe('copyField', () => {
  it('writes null and undefined as \\N', () => {
    // Prepare
    const values = [null, undefined];

    // Act
    const fields = values.map(copyField);

    // Assess
    expect(fields).toEqual([COPY_NULL, COPY_NULL]);
    expect(COPY_NULL).toBe('\\N');
  });

  it('keeps the text "\\N" distinct from NULL', () => {
    // Prepare
    const value = '\\N';

    // Act
    const field = copyField(value);

    // Assess
    expect(field).toBe('\\\\N');
    expect(decodeField(field)).toBe('\\N');
  });

  it('writes booleans as t/f and numbers and bigints in decimal', () => {
    // Prepare
    const values = [true, false, 42, -1.5, 9007199254740993n];

    // Act
    const fields = values.map(copyField);

    // Assess
    expect(fields).toEqual(['t', 'f', '42', '-1.5', '9007199254740993']);
  });

  it('rejects a non-finite number, showing it', () => {
    // Prepare
    const value = Number.NaN;

    // Act
    const act = () => copyField(value);

    // Assess
    expect(act).toThrow(/NaN/);
  });
});

describe('copyLine', () => {
  it('joins fields with tabs, ends with a newline and round-trips', () => {
    // Prepare
    const values = ['a\tb', null, 7, true, 'x\ny', '\\'];

    // Act
    const line = copyLine(values);

    // Assess
    expect(line.split('\t')).toHaveLength(values.length);
    expect(decodeLine(line)).toEqual(['a\tb', null, '7', 't', 'x\ny', '\\']);
  });
});

describe('arrayLiteral', () => {
  it('leaves simple elements unquoted', () => {
    // Prepare
    const elements = ['sql', 'python', 'code-review'];

    // Act
    const literal = arrayLiteral(elements);

    // Assess
    expect(literal).toBe('{sql,python,code-review}');
  });

  it('quotes empty, NULL-looking, spaced and special elements', () => {
    // Prepare
    const elements = ['', 'NULL', 'null', 'a b', 'a,b', '{x}', 'say "hi"', 'back\\slash', 'tab\t'];

    // Act
    const literal = arrayLiteral(elements);

    // Assess
    expect(literal).toBe(
      '{"","NULL","null","a b","a,b","{x}","say \\"hi\\"","back\\\\slash","tab\t"}',
    );
  });

  it('writes null elements as an unquoted NULL and numbers as is', () => {
    // Prepare
    const elements = ['a', null, 3];

    // Act
    const literal = arrayLiteral(elements);

    // Assess
    expect(literal).toBe('{a,NULL,3}');
    expect(parseArray(literal)).toEqual(['a', null, '3']);
  });

  it('writes an empty array as {}', () => {
    // Prepare
    const elements: string[] = [];

    // Act
    const literal = arrayLiteral(elements);

    // Assess
    expect(literal).toBe('{}');
  });
});

describe('copyArray', () => {
  it('round-trips tricky elements through COPY decoding then array parsing', () => {
    // Prepare
    const elements = [...TRICKY, null, 'NULL', ' padded '];

    // Act
    const field = copyArray(elements);

    // Assess
    expect(field).not.toMatch(/[\t\n\r]/);
    expect(parseArray(decodeField(field) as string)).toEqual(elements);
  });

  it('escapes a backslash twice: once for the array, once for COPY', () => {
    // Prepare
    const elements = ['x\\y'];

    // Act
    const field = copyArray(elements);

    // Assess
    expect(field).toBe('{"x\\\\\\\\y"}');
  });

  it('writes a NULL array as \\N', () => {
    // Prepare
    const elements = null;

    // Act
    const field = copyArray(elements);

    // Assess
    expect(field).toBe('\\N');
  });
});
