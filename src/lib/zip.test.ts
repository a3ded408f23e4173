import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { inflateRawSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { buildZip, toCsv } from './zip.js'

describe('buildZip', () => {
  it('writes entries that read back byte for byte', () => {
    const zip = buildZip([
      { name: 'a.json', data: '{"x":1}' },
      { name: 'dir/b.csv', data: 'h\r\n1\r\n' },
    ])
    expect(zip.readUInt32LE(0)).toBe(0x04034b50)
    const end = zip.subarray(zip.length - 22)
    expect(end.readUInt32LE(0)).toBe(0x06054b50)
    expect(end.readUInt16LE(10)).toBe(2)
    const nameLength = zip.readUInt16LE(26)
    const size = zip.readUInt32LE(18)
    const body = zip.subarray(30 + nameLength, 30 + nameLength + size)
    expect(inflateRawSync(body).toString()).toBe('{"x":1}')
    // Where python3 is on the machine, its zipfile module checks every CRC.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zip-'))
    const file = path.join(dir, 'x.zip')
    fs.writeFileSync(file, zip)
    let listing: string | undefined
    try {
      listing = execFileSync(
        'python3',
        [
          '-c',
          `import zipfile;z=zipfile.ZipFile('${file}');print(z.testzip(), z.namelist(), z.read('dir/b.csv'))`,
        ],
        { encoding: 'utf8' },
      )
    } catch {
      listing = undefined
    }
    if (listing !== undefined)
      expect(listing.trim()).toBe("None ['a.json', 'dir/b.csv'] b'h\\r\\n1\\r\\n'")
    fs.rmSync(dir, { recursive: true })
  })

  it('quotes CSV cells that need it', () => {
    expect(
      toCsv([
        { a: 'x,y', b: 'say "hi"' },
        { a: 1, c: { n: 2 } },
      ]),
    ).toBe('a,b,c\r\n"x,y","say ""hi""",\r\n1,,"{""n"":2}"\r\n')
  })
})
