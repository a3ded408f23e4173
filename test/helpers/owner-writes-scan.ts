import fs from 'node:fs'
import path from 'node:path'
import ts from 'typescript'

/** A statement in the sources that writes a table: a Kysely builder or SQL text. */
export interface WriteStatement {
  file: string
  line: number
  table: string
  /** Inside the function given to the storage's `write(run, touched)`. */
  inWrite: boolean
  /** Built only to be compiled to text (run elsewhere, by a write that uses the text). */
  compiledOnly: boolean
}

const BUILDERS = new Set(['insertInto', 'replaceInto', 'updateTable', 'deleteFrom', 'mergeInto'])
const SQL_WRITE =
  /\b(?:insert\s+(?:or\s+\w+\s+)?into|replace\s+into|update|delete\s+from)\s+["`]?(\w+)/gi

/** Every `.ts` file under `dir` but tests and migrations (which write before any copy exists). */
export function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name)
    if (entry.isDirectory()) {
      if (entry.name !== 'migrations') out.push(...sourceFiles(file))
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(file)
  }
  return out
}

/** Whether `node` lies in the first argument (the `run` function) of a call of `write`. */
function insideWrite(node: ts.Node): boolean {
  for (let child = node, parent = node.parent; parent !== undefined;) {
    if (
      ts.isCallExpression(parent) &&
      ts.isIdentifier(parent.expression) &&
      parent.expression.text === 'write' &&
      parent.arguments[0] === child
    )
      return true
    child = parent
    parent = parent.parent
  }
  return false
}

/**
 * Whether the function around `node` only compiles statements (calls `.compile()` and no `.execute*`
 * or `executeQuery`): the text it makes is run by another function, which the scan sees on its own.
 */
function compiledOnly(node: ts.Node): boolean {
  let fn: ts.Node | undefined = node.parent
  while (fn !== undefined && !ts.isFunctionLike(fn)) fn = fn.parent
  if (fn === undefined) return false
  const text = fn.getText()
  return /\.compile\(\)/.test(text) && !/\.execute\w*\(|executeQuery\(/.test(text)
}

/** The write statements in one file's text, with the table each writes. */
export function writeStatements(file: string, text: string): WriteStatement[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const found: WriteStatement[] = []
  const add = (node: ts.Node, table: string) =>
    found.push({
      file,
      line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1,
      table: table.toLowerCase(),
      inWrite: insideWrite(node),
      compiledOnly: compiledOnly(node),
    })
  const visit = (node: ts.Node) => {
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      BUILDERS.has(node.expression.name.text)
    ) {
      const first = node.arguments[0]
      if (first !== undefined && ts.isStringLiteralLike(first))
        add(node, first.text.split(/\s+/)[0]!)
    } else if (
      ts.isStringLiteralLike(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      for (const match of node.text.matchAll(SQL_WRITE)) add(node, match[1]!)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

/** The files that make writes with the storage's `ownerWrites`. */
export function filesMakingOwnerWrites(files: readonly string[]): string[] {
  return files.filter((file) => /\bownerWrites\(/.test(fs.readFileSync(file, 'utf8')))
}
