// class-transformer keeps its decorator metadata in this module and exports no typings for the
// path; the compiled DTO checks read @Transform / @Type / @Expose / @Exclude from it (the very
// instance plainToInstance uses: the package index requires the same file).
declare module 'class-transformer/cjs/storage' {
  import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';

  export const defaultMetadataStorage: MetadataStorage;
}
