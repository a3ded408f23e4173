import fs from 'node:fs'
import type { Command } from 'commander'

/**
 * `candor cleanroom blind|reblind|match`: the partner's side of the clean room (issue 19). They run
 * without a database or the shop's key file: only the partner's own key file (`--key`, made on first
 * use) and its address list. The partner code is imported inside each command, like every other heavy
 * part of the CLI.
 */
export function cleanroomCommands(program: Command, env: NodeJS.ProcessEnv): void {
  const cleanroom = program
    .command('cleanroom')
    .description("a partner's side of the clean room (private set intersection by e-mail address)")
  blindCommand(cleanroom)
  reblindCommand(cleanroom)
  matchCommand(cleanroom, env)
}

/** `candor cleanroom blind` */
function blindCommand(cleanroom: Command): void {
  cleanroom
    .command('blind')
    .description(
      'blind the addresses in FILE (one per line, or a CSV with the address first) with your key; writes the body of POST /v1/cleanroom/uploads',
    )
    .argument('<file>', 'addresses, one per line, or a CSV whose first column is the address')
    .requiredOption(
      '--key <keyfile>',
      'your secret key file (made, readable by you only, if missing)',
    )
    .option('--out <file>', 'write the JSON here instead of stdout')
    .action(async (file: string, options: { key: string; out?: string }) => {
      const { partnerSide: partner } = await import('../modules/insights/index.js')
      const { secret, created } = partner.loadOrCreatePartnerKey(options.key)
      if (created)
        process.stderr.write(
          `made a new key in ${options.key}: keep it until this match is done (reblind needs it)\n`,
        )
      const { addresses, skipped } = partner.readAddresses(fs.readFileSync(file, 'utf8'))
      const body = await partner.blindAddresses(addresses, secret)
      writeOut(options.out, body)
      process.stderr.write(
        `blinded ${addresses.length} distinct addresses${skipped > 0 ? `, skipped ${skipped} lines without one` : ''}\n`,
      )
    })
}

/** `candor cleanroom reblind` */
function reblindCommand(cleanroom: Command): void {
  cleanroom
    .command('reblind')
    .description(
      "reblind Candor's answer to the upload (FILE) with your key; writes the body of POST /v1/cleanroom/uploads/{id}/matches",
    )
    .argument('<file>', 'the JSON answer of POST /v1/cleanroom/uploads')
    .requiredOption('--key <keyfile>', 'the key file blind used')
    .option('--out <file>', 'write the JSON here instead of stdout')
    .action(async (file: string, options: { key: string; out?: string }) => {
      const { partnerSide: partner } = await import('../modules/insights/index.js')
      if (!fs.existsSync(options.key))
        throw new Error(`${options.key}: no such key file (use the one blind made)`)
      const { secret } = partner.loadOrCreatePartnerKey(options.key)
      const body = await partner.reblindAnswer(readJson(file), secret)
      writeOut(options.out, body)
      process.stderr.write(`reblinded ${body.reblinded.length} values\n`)
    })
}

/** `candor cleanroom match` */
function matchCommand(cleanroom: Command, env: NodeJS.ProcessEnv): void {
  cleanroom
    .command('match')
    .description(
      'blind FILE, upload it, reblind the answer and send the matches, in one go (the API key from CANDOR_API_KEY)',
    )
    .argument('<file>', 'addresses, one per line, or a CSV whose first column is the address')
    .requiredOption('--server <url>', 'the Candor server, such as https://candor.shop.example')
    .requiredOption('--key <keyfile>', 'your secret key file (made if missing)')
    .action(async (file: string, options: { server: string; key: string }) => {
      const apiKey = env.CANDOR_API_KEY
      if (apiKey === undefined || apiKey === '')
        throw new Error('CANDOR_API_KEY: set it to your partner API key')
      const { partnerSide: partner } = await import('../modules/insights/index.js')
      const { secret } = partner.loadOrCreatePartnerKey(options.key)
      const { addresses } = partner.readAddresses(fs.readFileSync(file, 'utf8'))
      const post = async (pathname: string, body: unknown) => {
        const response = await fetch(new URL(pathname, options.server), {
          method: 'POST',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
        const answer = (await response.json()) as Record<string, unknown>
        if (!response.ok)
          throw new Error(
            `${pathname}: ${response.status} ${String(answer.detail ?? answer.title)}`,
          )
        return answer
      }
      const upload = await post(
        '/v1/cleanroom/uploads',
        await partner.blindAddresses(addresses, secret),
      )
      const uploadId = String(upload.uploadId)
      const matched = await post(
        `/v1/cleanroom/uploads/${encodeURIComponent(uploadId)}/matches`,
        await partner.reblindAnswer(upload, secret),
      )
      process.stdout.write(
        `${JSON.stringify({ uploadId, expiresAt: upload.expiresAt, state: matched.state })}\n`,
      )
    })
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (cause) {
    throw new Error(`${file}: cannot be read as JSON`, { cause })
  }
}

/** Writes JSON to the file (owner-only: it comes from customer data) or to stdout. */
function writeOut(file: string | undefined, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`
  if (file === undefined) process.stdout.write(text)
  else fs.writeFileSync(file, text, { mode: 0o600 })
}
