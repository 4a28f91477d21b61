import type { Pagination } from '../../../libs/contracts/src';

/** Returned by a controller when the envelope needs a `pagination` block beside `data`. */
export class Paginated<T> {
  constructor(
    readonly items: T[],
    readonly pagination: Pagination,
  ) {}
}
