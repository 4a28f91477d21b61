import type { Type } from '@nestjs/common';
import { type ClassTransformOptions, TransformationType } from 'class-transformer';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import type { TransformFnParams } from 'class-transformer/types/interfaces';
import {
  type ValidationArguments,
  ValidationTypes,
  type ValidatorConstraintInterface,
  getMetadataStorage,
} from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { isForbiddenKey, isSaneScalar } from './input-sanity';

/**
 * A DTO's rules compiled once into a single synchronous pass: the DTO instance when the input is
 * certainly valid, `undefined` when it is not or when the check cannot be sure. Undefined means
 * "ask the validation pipe", which then gives its usual answer (the same error, word for word).
 */
export type CompiledDtoCheck<T> = (input: unknown) => T | undefined;

type Condition = (object: object, value: unknown) => boolean;

interface Rule {
  constraint: ValidatorConstraintInterface;
  constraints: unknown[];
  each: boolean;
  validateIf: Condition | undefined;
}

interface CompiledProperty {
  name: string;
  /** @ValidateIf / @IsOptional: the property's rules apply only when every one holds. */
  conditions: Condition[];
  rules: Rule[];
  /** @Transform functions class-transformer applies to this property, in its order. */
  transforms: ((params: TransformFnParams) => unknown)[];
}

function isPromiseLike(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** What `copyFlat` answers for a value the compiled pass leaves to the pipe. */
const REFUSED = Symbol('refused');

/**
 * A property's value as class-transformer would copy it (arrays into a new array), or REFUSED for
 * anything but a sane scalar or an array of them (objects, binary, NUL, lone surrogates, unsafe
 * numbers): those go to the pipe.
 */
function copyFlat(value: unknown): unknown {
  if (!Array.isArray(value)) {
    return isSaneScalar(value) ? value : REFUSED;
  }
  const items = value as unknown[];
  const copy: unknown[] = [];
  for (let index = 0; index < items.length; index += 1) {
    // A hole is skipped, as class-transformer's forEach does (the sanity pass reads it as undefined).
    if (index in items) {
      if (!isSaneScalar(items[index])) {
        return REFUSED;
      }
      copy.push(items[index]);
    }
  }
  return copy;
}

/** No accessor or method anywhere in the class chain: class-transformer would not assign through them. */
function onlyFields(dto: Type<object>): boolean {
  for (
    let prototype: unknown = dto.prototype;
    prototype && prototype !== Object.prototype;
    prototype = Object.getPrototypeOf(prototype)
  ) {
    if (Object.getOwnPropertyNames(prototype).some((name) => name !== 'constructor')) {
      return false;
    }
  }
  return true;
}

/**
 * Builds the property table the way class-validator's executor filters it (no groups, `always`
 * off) and the way class-transformer copies plain input; null when the DTO uses something this
 * compiler does not reproduce (nested or promise validation, async constraints, @Type, @Expose,
 * @Exclude, accessors or methods): such a DTO simply keeps the pipe.
 */
function compileProperties(dto: Type<object>): CompiledProperty[] | null {
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(
    dto,
    undefined as unknown as string,
    false,
    false,
  );
  if (!metadatas.length || !onlyFields(dto)) {
    return null;
  }
  if (
    defaultMetadataStorage.getExposedMetadatas(dto).length ||
    defaultMetadataStorage.getExcludedMetadatas(dto).length
  ) {
    return null;
  }
  const grouped: Record<string, ValidationMetadata[]> = storage.groupByPropertyName(metadatas);
  const properties: CompiledProperty[] = [];
  for (const [name, list] of Object.entries(grouped)) {
    if (defaultMetadataStorage.findTypeMetadata(dto, name)) {
      return null;
    }
    const property: CompiledProperty = {
      name,
      conditions: [],
      rules: [],
      transforms: defaultMetadataStorage
        .findTransformMetadatas(dto, name, TransformationType.PLAIN_TO_CLASS)
        .filter((metadata) => !metadata.options?.groups?.length)
        .map((metadata) => metadata.transformFn),
    };
    for (const metadata of list) {
      if (metadata.type === ValidationTypes.CONDITIONAL_VALIDATION) {
        property.conditions.push(metadata.constraints[0] as Condition);
      } else if (
        metadata.type === ValidationTypes.CUSTOM_VALIDATION ||
        metadata.type === ValidationTypes.IS_DEFINED
      ) {
        for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls)) {
          if (constraint.async) {
            return null;
          }
          property.rules.push({
            constraint: constraint.instance,
            constraints: metadata.constraints as unknown[],
            each: metadata.each,
            validateIf: metadata.validateIf,
          });
        }
      } else if (metadata.type !== ValidationTypes.WHITELIST) {
        return null;
      }
    }
    properties.push(property);
  }
  return properties;
}

/** Every rule of the property holds (undefined: a rule answered with a promise, so not sure). */
function propertyHolds(
  dto: Type<object>,
  property: CompiledProperty,
  entity: Record<string, unknown>,
): boolean | undefined {
  const value = entity[property.name];
  for (const condition of property.conditions) {
    if (!condition(entity, value)) {
      return true;
    }
  }
  // One arguments object per property (validators only read it), not one per rule.
  const args: ValidationArguments = {
    targetName: dto.name,
    property: property.name,
    object: entity,
    value,
    constraints: [],
  };
  for (const rule of property.rules) {
    if (rule.validateIf && !rule.validateIf(entity, value)) {
      continue;
    }
    args.constraints = rule.constraints;
    if (!rule.each || !Array.isArray(value)) {
      const valid = holds(rule.constraint.validate(value, args));
      if (valid !== true) {
        return valid;
      }
      continue;
    }
    for (const item of value as unknown[]) {
      const valid = holds(rule.constraint.validate(item, args));
      if (valid !== true) {
        return valid;
      }
    }
  }
  return true;
}

/** A validator's answer: true, false, or undefined for a promise (this pass cannot wait). */
function holds(answer: unknown): boolean | undefined {
  return isPromiseLike(answer) ? undefined : Boolean(answer);
}

/**
 * Compiles `dto` for `createValidationPipe()`'s options (whitelist, forbidNonWhitelisted,
 * forbidUnknownValues, transform without implicit conversion) and the input sanity pass: the rules
 * stay where they are declared (the DTO's decorators, the very constraint objects class-validator
 * runs), only the walk around them is done once here instead of per event. A flat payload (scalars
 * and arrays of scalars, only declared fields) is transformed and validated in one pass; anything
 * else, and every failure, is left to the pipe. Null when the DTO cannot be compiled.
 */
export function compileDtoCheck<T extends object>(
  dto: Type<T>,
  transformOptions: ClassTransformOptions = { enableImplicitConversion: false },
): CompiledDtoCheck<T> | null {
  const properties = compileProperties(dto);
  if (!properties) {
    return null;
  }
  const byName = new Map(properties.map((property) => [property.name, property]));
  return (input) => {
    if (typeof input !== 'object' || input === null) {
      return undefined;
    }
    const prototype: unknown = Object.getPrototypeOf(input);
    if (prototype !== Object.prototype && prototype !== null) {
      return undefined;
    }
    const plain = input as Record<string, unknown>;
    const entity = new dto() as Record<string, unknown>;
    for (const key of Object.keys(plain)) {
      let value = copyFlat(plain[key]);
      const property = byName.get(key);
      if (!property) {
        // class-transformer never assigns over a method (`toString`, `valueOf`...): it drops the
        // field, so the whitelist never sees it and the pipe accepts; anything else is refused.
        if (value !== REFUSED && typeof entity[key] === 'function' && !isForbiddenKey(key)) {
          continue;
        }
        return undefined;
      }
      for (const transform of property.transforms) {
        if (value === REFUSED) {
          break;
        }
        value = copyFlat(
          transform({
            value,
            key,
            obj: plain,
            type: TransformationType.PLAIN_TO_CLASS,
            options: transformOptions,
          }),
        );
      }
      if (value === REFUSED) {
        return undefined;
      }
      entity[key] = value;
    }
    for (const property of properties) {
      if (propertyHolds(dto, property, entity) !== true) {
        return undefined;
      }
    }
    return entity as T;
  };
}
