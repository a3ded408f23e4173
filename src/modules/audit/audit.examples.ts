/**
 * The examples `/docs` shows for the audit routes: a page of entries, a verification, a signed checkpoint
 * and the proofs, as the demo shop's log answers them (subjects are pseudonyms, never a customer's own
 * reference).
 */

const HASHES = [
  '8be9aa43c6ecacc3ddc6bb50a587c304c64ceb2eb3e4ba8d0582c41df18da297',
  'a540f9ffa488050fb9897cc50d029a71de433995113a0f8c3aa4fe5f1c9df5fc',
  '5b71973f263b4fb38f55d276cff0c358a891f96472f88c1930b87fc8ad863a86',
  '6bab5257e14a9e4966329363bfa2afb8e7e21407f6500dff1d75d1f91d674225',
] as const
const ROOT_HASH = '0c0de4cc4bf7027fd2a1c804ca9a39591a71ed791d41a6442c1f59a62a65a7d8'
const PROOF = [
  '3da06569e24dcfba64616c96212c9d5d40df2dab3d3ca05e2283d092924463f7',
  '66e2652c4dcb62c5a98453b60017883d68590dc2d7dcc3b6884bfe5ab5345017',
  'cdb80a7d5f26c19be6f105945895db2b868b4d400c5b1e6d8f93ef0ff24d20eb',
]

/** `GET /v1/audit?limit=3`: newest first, and where the next page starts. */
export const AUDIT_PAGE_EXAMPLE = {
  entries: [
    {
      seq: 617,
      at: '2026-03-01T10:21:05.214Z',
      actor: 'key:key_r4quucipjoycew18',
      action: 'consent.recorded',
      subjectId: 'sub_e24f1dp2xb3hsy0acz7l76gw',
      details: { purpose: 'personalize.recommendations', decision: 'granted', method: 'banner' },
      prevHash: HASHES[1],
      hash: HASHES[0],
    },
    {
      seq: 616,
      at: '2026-03-01T10:20:58.090Z',
      actor: 'key:key_r4quucipjoycew18',
      action: 'events.ingested',
      subjectId: null,
      details: { events: 4, stored: 2, duplicate: 1, refused: 1, reasons: { no_consent: 1 } },
      prevHash: HASHES[2],
      hash: HASHES[1],
    },
    {
      seq: 615,
      at: '2026-03-01T10:19:44.731Z',
      actor: 'system:rights',
      action: 'rights.access.completed',
      subjectId: 'sub_1ck6yj2b1q7fk12hwdrzv09i',
      details: { requestId: 'rr_0mxcqqq900000h24pyrwk' },
      prevHash: HASHES[3],
      hash: HASHES[2],
    },
  ],
  next: 615,
}

/** `GET /v1/audit/verify` on an intact log. */
export const AUDIT_VERIFY_EXAMPLE = {
  ok: true,
  entries: 617,
  headHash: HASHES[0],
  tree: { ok: true, entries: 617, rootHash: ROOT_HASH, checkpointsChecked: 12, problems: [] },
}

const ORIGIN = 'candor/audit/ad219514fe39'
const NOTE =
  `${ORIGIN}\n617\nDA3kzEv3An/SocgEypo5WRpx7XkdQaZELB9Zpiplp9g=\ntimestamp 2026-03-01T10:21:06.002Z\n\n` +
  `— ${ORIGIN} gOe0Ls+RLkse44Awr1rfkh5MoIvlUSWMbNCenNDybfHrCVSR/8z3+kzTg34uY1d30gp2WnQi6EW/n7IR5M2RbQxM+gc=\n`
const PUBLIC_KEY = `${ORIGIN}+80e7b42e+AVGfMyol/TIAwtooRESUq76NTdfXTbVDvEwL/qIfal5Q`

/** `GET /v1/audit/checkpoint` as JSON. */
export const CHECKPOINT_EXAMPLE = {
  origin: ORIGIN,
  treeSize: 617,
  rootHash: ROOT_HASH,
  timestamp: '2026-03-01T10:21:06.002Z',
  note: NOTE,
  publicKey: PUBLIC_KEY,
  publicKeys: [PUBLIC_KEY],
}

/** `GET /v1/audit/checkpoint` with `Accept: text/plain`: the signed note alone. */
export const CHECKPOINT_NOTE_EXAMPLE = NOTE

/** `GET /v1/audit/proof?size=1` */
export const CONSISTENCY_PROOF_EXAMPLE = { first: 1, second: 617, proof: PROOF }

/** `GET /v1/audit/inclusion?seq=2` */
export const INCLUSION_PROOF_EXAMPLE = {
  seq: 2,
  leafIndex: 1,
  treeSize: 617,
  leafHash: PROOF[0]!,
  proof: ['64074c6cb6db565d0aab9b21ff754deb1e7dc0b8b2a592ef164d40b8174d6a94', PROOF[1]!, PROOF[2]!],
}
