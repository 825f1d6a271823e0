/**
 * The options every adapter understands besides the guard's own. They are taken out before
 * the rest reaches `createGuard` (which refuses unknown keys) and checked once, here.
 */
import { TokenGuardConfigError } from '../errors.js';
import type { ErrorFormatter } from './answer.js';

export interface AdapterOptions<Property extends string = 'auth'> {
  /**
   * Hand refusals to the framework's error handling instead of answering directly. The
   * error carries `status`, `statusCode`, `headers` and `body`; `expose` is true only below
   * 500, and a 5xx error's `message` is its fixed public description (the detail stays on
   * the non-enumerable `detail`, for logs). Default `false`.
   */
  readonly passErrors?: boolean;
  /** Formats the body of every refusal this adapter answers. Default: the JSON error body. */
  readonly onError?: ErrorFormatter;
  /**
   * Where the validated token lands. Default `auth`. Another name is an opt-in for
   * migrations (an app that moves from a library which also uses `auth`); the adapter's
   * README shows the type augmentation it needs.
   */
  readonly requestProperty?: Property;
}

/** Every key of `AdapterOptions`; the compiler checks the list against the type. */
export const ADAPTER_OPTION_KEYS = [
  'passErrors',
  'onError',
  'requestProperty',
] as const satisfies ReadonlyArray<keyof AdapterOptions<string>>;

type MissingKeys = Exclude<keyof AdapterOptions<string>, (typeof ADAPTER_OPTION_KEYS)[number]>;
// A key added to AdapterOptions but not to the list fails to compile here.
const allKeysListed: MissingKeys extends never ? true : never = true;
void allKeysListed;

export interface AdapterSettings {
  readonly passErrors: boolean;
  readonly onError: ErrorFormatter | undefined;
  readonly property: string;
}

/** A JavaScript identifier that is not an `Object.prototype` member. */
const PROPERTY = /^[A-Za-z_$][\w$]*$/;

export function normalizeAdapterOptions(options: Record<string, unknown>): AdapterSettings {
  const { passErrors, onError, requestProperty } = options;
  if (passErrors !== undefined && typeof passErrors !== 'boolean') {
    throw new TokenGuardConfigError('passErrors', 'must be a boolean');
  }
  if (onError !== undefined && typeof onError !== 'function') {
    throw new TokenGuardConfigError('onError', 'must be a function');
  }
  if (
    requestProperty !== undefined &&
    (typeof requestProperty !== 'string' ||
      !PROPERTY.test(requestProperty) ||
      requestProperty in Object.prototype)
  ) {
    throw new TokenGuardConfigError('requestProperty', 'must be a property name such as `auth`');
  }
  return {
    passErrors: passErrors === true,
    onError: onError as ErrorFormatter | undefined,
    property: (requestProperty as string | undefined) ?? 'auth',
  };
}
