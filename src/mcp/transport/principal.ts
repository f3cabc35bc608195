// The transport's principals are the core ones: sessions, tools and credentials compare the same type.
export {
  ANONYMOUS,
  anonymousAt,
  bearerPrincipal,
  limitedCaller,
  type Principal,
  samePrincipal,
} from '../../core/index.js';
