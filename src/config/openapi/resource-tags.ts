/**
 * Cache tags from REST paths. A literal segment followed by `{param}` is an instance of a collection
 * (`/items/{id}` → collection `items`, instance `item:{id}`); a final literal is a collection; literal
 * runs before them are namespaces (`/v1`, `/api`). Nested collections are also tagged by their parent
 * (`/users/{userId}/assignments` → `assignments` and `user:{userId}:assignments`).
 */
export interface ResourceLevel {
  collection: string;
  /** The `{param}` after the collection, when the path names one instance. */
  param: string | undefined;
  /** `user:{userId}:` for a collection under an instance; empty at the top. */
  scope: string;
}

/** The resource levels of a path; empty when the path is not shaped like REST resources. */
export function resourceLevels(path: string): ResourceLevel[] {
  const segments = path.split('/').filter((s) => s !== '');
  const levels: ResourceLevel[] = [];
  let scope = '';
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (hole(seg) !== undefined) continue; // a parameter with no collection before it: skip
    const next = segments[i + 1];
    const param = next === undefined ? undefined : hole(next);
    const last = i === segments.length - 1;
    if (param === undefined && !last) continue; // a namespace such as /v1
    levels.push({ collection: seg, param, scope });
    if (param !== undefined) {
      scope = `${scope}${singular(seg)}:{${param}}:`;
      i++;
    }
  }
  return levels;
}

function hole(segment: string): string | undefined {
  const m = /^\{([^{}]+)\}$/.exec(segment);
  return m ? m[1] : undefined;
}

/** `assignments` → `assignment`, `categories` → `category`, `boxes` → `box`; otherwise unchanged. */
export function singular(word: string): string {
  if (/ies$/i.test(word) && word.length > 3) return `${word.slice(0, -3)}y`;
  if (/(ss|x|z|ch|sh)es$/i.test(word)) return word.slice(0, -2);
  if (/(us|is|ss)$/i.test(word)) return word; // status, analysis, class
  if (/s$/i.test(word)) return word.slice(0, -1);
  return word;
}

function collectionTags(level: ResourceLevel): string[] {
  return level.scope === '' ? [level.collection] : [level.collection, `${level.scope}${level.collection}`];
}

function instanceTag(level: ResourceLevel): string {
  return `${singular(level.collection)}:{${level.param}}`;
}

/** Tags a cached GET answer carries: the collection's for a list, the instance's for one item. */
export function cacheTags(path: string): string[] {
  const levels = resourceLevels(path);
  const last = levels[levels.length - 1];
  if (!last) return [];
  return last.param === undefined ? collectionTags(last) : [instanceTag(last)];
}

/**
 * Tags a successful mutation invalidates: the lists of its collection and the instance it names
 * (`PATCH /items/{id}` → `items`, `item:{id}`). A POST to a final literal under an instance that the
 * document does not also GET is an action on that instance (`POST /items/{id}/archive`), so it
 * invalidates the instance and its collection instead.
 */
export function invalidationTags(
  path: string,
  method: string,
  isGettable: (path: string) => boolean,
): string[] {
  const levels = resourceLevels(path);
  let last = levels[levels.length - 1];
  if (!last) return [];
  const parent = levels[levels.length - 2];
  if (method === 'POST' && last.param === undefined && parent?.param !== undefined && !isGettable(path)) {
    last = parent;
  }
  const tags = collectionTags(last);
  if (last.param !== undefined) tags.push(instanceTag(last));
  return tags;
}
