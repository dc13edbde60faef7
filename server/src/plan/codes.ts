// Every diagnostic code moeplan's parser and checker produce, with a short
// title. Codes are stable: never reuse or renumber one. Each is explained,
// with an example and the fix, in docs/diagnostics.md (a test keeps the two
// in step).
export const CODES = {
  // MP1xx: syntax and the shape of statements and values
  MP100: 'internal parser error',
  MP101: 'unexpected character',
  MP102: 'unterminated string',
  MP103: 'statement does not start with a keyword',
  MP104: 'block never closed',
  MP105: 'unmatched `}`',
  MP106: 'text after `}`',
  MP107: 'malformed range',
  MP108: 'blocks nested too deeply',
  MP109: 'too many problems to show',
  MP110: 'unknown keyword',
  MP111: 'duplicate statement',
  MP112: 'missing or wrong value',
  MP113: 'unexpected extra value',
  MP114: 'missing unit',
  MP115: 'wrong or unknown unit',
  MP116: 'value out of range',
  MP117: 'unexpected or missing block',
  // MP2xx: model and hardware
  MP201: 'unknown model preset',
  MP202: 'unknown GPU preset',
  MP203: 'no model',
  MP204: 'no GPUs',
  MP205: 'top-k greater than experts',
  MP206: 'incomplete custom model or GPU',
  MP207: 'GPUs do not divide evenly into nodes',
  MP208: 'memory cannot hold one copy of every expert',
  MP209: 'no memory left for experts',
  MP210: 'inconsistent routing groups',
  MP211: 'slots exceed memory',
  MP212: 'inconsistent layer counts',
  MP213: 'more slots than experts',
  // MP3xx: workload
  MP301: 'trace file not found',
  MP302: 'more than one workload source',
  MP303: 'no workload source',
  MP304: 'subset does not match the model',
  // MP4xx: placement
  MP401: 'unknown placement policy',
  MP402: 'layer does not exist',
  MP403: 'GPU does not exist',
  MP404: 'expert does not exist',
  MP405: 'expert twice on one GPU',
  MP406: 'more experts than slots',
  MP407: 'expert placed on no GPU',
  MP408: 'layer committed twice',
  MP409: 'GPU listed twice in a layer',
  MP410: 'committed placement breaks a constraint',
  MP411: 'copies while replicas are off',
  MP412: 'unknown objective',
  MP413: 'unknown dispatch rule',
  // MP5xx: offload
  MP501: 'offload has nothing to do',
  MP502: 'unknown paging policy',
} as const;

export type Code = keyof typeof CODES;
