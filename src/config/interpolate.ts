/** A key path into the config tree, e.g. `['tools', 2, 'cache', 'ttl']`. */
export type ConfigPath = ReadonlyArray<string | number>;

/** One `${VAR}` that could not be resolved, or a malformed reference. */
export interface InterpolationProblem {
  path: ConfigPath;
  message: string;
}

export interface InterpolationResult {
  value: unknown;
  problems: InterpolationProblem[];
  /** Paths of string values that took anything from the environment: treat them as secrets. */
  secretPaths: ConfigPath[];
  /**
   * Each value taken from the environment, as it was substituted: a secret on its own too, since an
   * upstream may echo just the value of `key=${K}` or a message may quote just the host of `https://${T}.x`.
   */
  envValues: string[];
  /** For each string value that took anything from the environment, the variables it took: a problem there names them. */
  envNames: { path: ConfigPath; names: string[] }[];
}

// ${NAME} or ${NAME:-default}; `$${` is a literal `${`. Defaults cannot nest.
const REFERENCE = /\$\$\{|\$\{([^}]*)\}?/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string value (not in keys) of a parsed config.
 * Works on the parsed tree, not the text, so a value can never inject YAML structure. Messages name
 * variables, never their values.
 */
export function interpolate(
  data: unknown,
  env: Readonly<Record<string, string | undefined>>,
): InterpolationResult {
  const problems: InterpolationProblem[] = [];
  const secretPaths: ConfigPath[] = [];
  const envValues = new Set<string>();
  const envNames: { path: ConfigPath; names: string[] }[] = [];
  const walk = (node: unknown, path: (string | number)[]): unknown => {
    if (typeof node === 'string') return node.includes('$') ? resolve(node, path) : node;
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) out[k] = walk(v, [...path, k]);
      return out;
    }
    return node;
  };
  const resolve = (text: string, path: (string | number)[]): string => {
    const used = new Set<string>();
    const result = text.replace(REFERENCE, (match, body: string | undefined) => {
      if (match === '$${') return '${';
      if (!match.endsWith('}')) {
        problems.push({
          path,
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the message shows the ${} syntax
          message: 'unterminated "${": write ${NAME} or ${NAME:-default} (use "$${" for a literal "${")',
        });
        return '';
      }
      const ref = body ?? '';
      const sep = ref.indexOf(':-');
      const name = sep === -1 ? ref : ref.slice(0, sep);
      if (!NAME.test(name)) {
        problems.push({
          path,
          message: `"\${${name}}" is not a valid variable reference: names use letters, digits and _ and do not start with a digit`,
        });
        return '';
      }
      const value = env[name];
      if (value !== undefined && !(sep !== -1 && value === '')) {
        used.add(name);
        envValues.add(value);
        return value;
      }
      if (sep !== -1) return ref.slice(sep + 2);
      problems.push({
        path,
        message: `environment variable ${name} is not set; set it, or give a default with \${${name}:-default}`,
      });
      return '';
    });
    if (used.size > 0) {
      secretPaths.push(path);
      envNames.push({ path, names: [...used] });
    }
    return result;
  };
  const value = walk(data, []);
  return { value, problems, secretPaths, envValues: [...envValues], envNames };
}
