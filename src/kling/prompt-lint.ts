import { z } from 'zod';

/** Seed pitfall 10: what a strong video prompt has. Heuristic word lists, English only. */
const ELEMENTS = {
  subject: {
    pattern:
      /\b(?:a|an|the|one|two|three|several|close-up of|portrait of)\s+(?!(?:nice|beautiful|good|great|cool|video|clip|thing|something|scene)\b)[a-z-]{3,}/i,
    hint: 'name a specific subject ("a monarch butterfly", "an elderly fisherman")',
  },
  action: {
    pattern:
      /\b(?:[a-z]{3,}(?<!morn|even|build|ceil|paint|light|cloth|ceil|wedd|dard|thing|spr)ing|walks?|runs?|flies|fly|lands?|dances?|turns?|moves?|rises?|falls?|jumps?|spins?|pours?|swims?|drives?|opens?|closes?|smiles?|looks?|waves?|glides?|drifts?|sways?|crashes?|explodes?|grows?|melts?|mends?|holds?|reaches?|climbs?|rolls?|floats?|sits?|stands?|eats?|drinks?|plays?|sings?|laughs?|cries?|fights?|builds?|paints?|writes?|reads?|cooks?)\b|\b[a-z]{3,}ly\s+[a-z]{3,}s\b/i,
    hint: 'say what happens ("landing on", "slowly turns toward the camera")',
  },
  settingOrLighting: {
    pattern:
      /\b(?:golden hour|sunset|sunrise|dusk|dawn|night|moonlight|neon|backlit|candlelight|overcast|soft light|hard light|rim light|studio lighting|lighting|lit|shadows?|fog|mist|rain|snow|forest|street|city|beach|room|kitchen|desert|mountains?|ocean|sea|garden|field|background|interior|exterior|indoors|outdoors|sky|meadow|lake|river|alley|studio)\b/i,
    hint: 'place it and light it ("in a misty pine forest at dawn, soft backlight")',
  },
  camera: {
    pattern:
      /\b(?:close-up|closeup|wide shot|medium shot|long shot|establishing shot|aerial|drone|tracking shot|dolly|pan(?:s|ning)?|tilt(?:s|ing)?|zoom(?:s|ing)?|macro|lens|\d{2,3}\s?mm|bokeh|depth of field|pov|handheld|low[- ]angle|high[- ]angle|overhead|slow motion|crane shot|static shot|orbit)\b/i,
    hint: 'direct the camera ("slow dolly-in, 50mm lens, shallow depth of field")',
  },
  style: {
    pattern:
      /\b(?:cinematic|photorealistic|realistic|hyperrealistic|anime|cartoon|watercolor|oil painting|4k|8k|hdr|film grain|35mm film|documentary|noir|vintage|retro|3d render|claymation|stop[- ]motion|pixel art|style|aesthetic|color graded|moody)\b/i,
    hint: 'set a style ("cinematic, film grain, muted colour grade")',
  },
} as const;

const VAGUE = /\b(?:nice|beautiful|good|great|amazing|awesome|cool|interesting|stuff|things?|something|pretty|very|some|video of|a video|random)\b/gi;
const MIN_WORDS = 8;
const MAX_WORDS = 200;

export const PromptElement = z.enum(['subject', 'action', 'settingOrLighting', 'camera', 'style']);
export type PromptElement = z.infer<typeof PromptElement>;

export const PromptLintReport = z.object({
  /** 0–100: 16 per element present, 10 for a sensible length, 10 for no vague words. */
  score: z.number().int().min(0).max(100),
  present: z.array(PromptElement),
  missing: z.array(PromptElement),
  vagueWords: z.array(z.string()),
  words: z.number().int(),
  /** One line per problem, each saying what to add or change. */
  suggestions: z.array(z.string()),
});
export type PromptLintReport = z.infer<typeof PromptLintReport>;

/** Strict mode: the prompt scored below the minimum. */
export class PromptLintError extends Error {
  override readonly name = 'PromptLintError';
  constructor(
    readonly report: PromptLintReport,
    readonly minScore: number,
  ) {
    super(`prompt: lint score ${report.score} is below the minimum of ${minScore}: ${report.suggestions.join('; ')}`);
  }
}

/**
 * Reports what a strong prompt has and this one lacks. Never blocks unless `strict` is set, in which
 * case a score below `minScore` (default 60) throws PromptLintError.
 */
export function lintPrompt(prompt: string, options: { strict?: boolean; minScore?: number } = {}): PromptLintReport {
  const text = prompt.trim();
  const words = text ? text.split(/\s+/).length : 0;
  const present = PromptElement.options.filter((e) => ELEMENTS[e].pattern.test(text));
  const missing = PromptElement.options.filter((e) => !present.includes(e));
  const vagueWords = [...new Set((text.match(VAGUE) ?? []).map((w) => w.toLowerCase()))];
  const lengthOk = words >= MIN_WORDS && words <= MAX_WORDS;
  const suggestions = [
    ...missing.map((e) => ELEMENTS[e].hint),
    ...(words < MIN_WORDS ? [`too short (${words} words): aim for ${MIN_WORDS}–60 descriptive words`] : []),
    ...(words > MAX_WORDS ? [`long (${words} words): long prompts dilute the main subject`] : []),
    ...(vagueWords.length ? [`replace vague words (${vagueWords.join(', ')}) with concrete detail`] : []),
  ];
  const score = present.length * 16 + (lengthOk ? 10 : 0) + (vagueWords.length ? 0 : 10);
  const report: PromptLintReport = { score, present, missing, vagueWords, words, suggestions };
  const minScore = options.minScore ?? 60;
  if (options.strict && score < minScore) throw new PromptLintError(report, minScore);
  return report;
}
