/**
 * Text rendering of `analyzeCapture` records: one line per record, in the spirit of a
 * protocol analyser's summary pane, aligned so a support engineer can scan a call.
 */

import type { AnalyzeRecord, AnalyzeSummary } from './analyze.js';

const t = (s: number): string => s.toFixed(6).padStart(12);

export function formatRecord(r: AnalyzeRecord): string {
  switch (r.type) {
    case 'stream':
      // Auto-detection can only tell the 1998 module (v0) from the 2002 one (v1 and later).
      return `stream ${r.id}: ${r.transport.toUpperCase()} ${r.src} -> ${r.dst}  T.38 ${r.versionSource === 'auto' && r.version !== 0 ? 'v1+' : `v${r.version}`} (${r.versionSource}), found by ${r.foundBy}`;
    case 'sip': {
      const media = r.media.length ? `  [${r.media.join('; ')}]` : '';
      const t38 = r.t38
        .map((e) => ` T.38 ${e.transport} ${e.ip}:${e.port}` + (e.version !== undefined ? ` v${e.version}` : '') + (e.errorCorrection ? ` ${e.errorCorrection}` : '') + (e.maxDatagram !== undefined ? ` maxdgram ${e.maxDatagram}` : ''))
        .join(';');
      return `${t(r.time)} #${r.frame} SIP ${r.src} -> ${r.dst}  ${r.startLine}${media}${t38}`;
    }
    case 'ifp': {
      const src = r.source === 'primary' ? '' : `  (recovered from ${r.source === 'fec' ? 'FEC' : 'secondary'})`;
      const size = r.packetBytes !== undefined ? `  [${r.packetBytes} B${r.redundancy ? `, ${r.redundancy}` : ''}]` : '';
      return `${t(r.time)} #${r.frame} ${r.stream} seq ${String(r.seq).padStart(5)}  ${r.ifp}${size}${src}`;
    }
    case 't30': {
      const bad = r.ok ? '' : `  ** BAD FRAME (${r.problem ?? 'fcs'}) **`;
      // Decoded capability bits are worth a block of lines; for other frames the summary says it all.
      const showDetails = /^(DIS|DTC|DCS|NSF|NSC|NSS)$/.test(r.name);
      const details = showDetails && r.details?.length ? `\n${r.details.map((d) => `${' '.repeat(26)}${d}`).join('\n')}` : '';
      return `${t(r.time)} #${r.frame} ${r.stream} T.30 ${r.modem.padEnd(9)} ${r.summary}${bad}${details}`;
    }
    case 'lost':
      return `${t(r.time)} #${r.frame} ${r.stream} LOST ${r.count} IFP${r.count > 1 ? 's' : ''} from seq ${r.from}`;
    case 'malformed':
      return `${t(r.time)} #${r.frame} ${r.stream} MALFORMED ${r.error}`;
    case 'duplicate':
      return `${t(r.time)} #${r.frame} ${r.stream} duplicate seq ${r.seq}`;
    case 'page': {
      const mode = r.ecm ? 'ECM' : 'non-ECM';
      const damage = r.missingFrames ? `, ${r.missingFrames} ECM frames missing` : '';
      const answer = r.response ? `, answered ${r.response}` : ', no answer in capture';
      return `${t(r.time)} ${r.stream} PAGE ${r.index}: ${r.width}×${r.rows} ${r.coding.toUpperCase()} ${mode} ${r.yDpi} lpi, ${r.badRows} bad rows (longest run ${r.longestBadRun}), ended ${r.end}${damage}${r.command ? `, ${r.command}` : ''}${answer}`;
    }
    case 'audio-stream':
      return `stream ${r.id}: G.711 ${r.law === 'alaw' ? 'A-law' : 'µ-law'} RTP ${r.src} -> ${r.dst}  ${r.seconds.toFixed(1)} s, ${r.packets} packets, ${r.lost} lost, found by ${r.foundBy}`;
    case 'tone':
      return `${t(r.time)} #${r.frame} ${r.stream} tone ${r.tone}`;
    case 'signal':
      return `${t(r.time)} #${r.frame} ${r.stream} ${r.modem === 'v21' ? 'V.21 flags' : `${r.modem} trained`}`;
    case 'outcome':
      return `T.30 outcome: ${r.text}`;
  }
}

export function formatSummary(s: AnalyzeSummary): string {
  const lines = [
    `summary: ${s.frames} frames (${s.format}, first at ${new Date(s.captureStart * 1000).toISOString()}), ${s.sipMessages} SIP messages, ${s.streams} T.38 stream(s), ${s.audioStreams.length} audio stream(s)`,
    `  datagrams ${s.datagrams}, IFPs ${s.ifps}, lost ${s.lost}, recovered ${s.recovered} (secondary ${s.recoveredFromSecondary}, FEC ${s.recoveredFromFec}), malformed ${s.malformed}, duplicates ${s.duplicates}, T.30 frames ${s.t30Frames}`,
  ];
  for (const p of s.perStream) {
    lines.push(
      `  ${p.id}: datagrams ${p.datagrams}, IFPs ${p.ifps}, lost ${p.lost}, recovered ${p.recoveredFromSecondary + p.recoveredFromFec}, malformed ${p.malformed}, duplicates ${p.duplicates}, late ${p.late}, zero-length secondaries ${p.zeroLengthSecondaries}, RTP skipped ${p.rtpSkipped}, T.30 frames ${p.t30Frames} (${p.t30BadFrames} bad)`,
    );
  }
  for (const a of s.audioStreams) {
    lines.push(`  ${a.id}: audio ${a.seconds.toFixed(1)} s, packets ${a.packets}, lost ${a.lost}, T.30 frames ${a.t30Frames} (${a.t30BadFrames} bad), fast-modem trainings ${a.fastTrainings}`);
  }
  for (const w of s.warnings) lines.push(`  warning: ${w}`);
  return lines.join('\n');
}
