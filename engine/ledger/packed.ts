// Lists stored as one BSON binary value: a batch's recipients, a result page's outcomes. On the
// embedded database a document costs what its values cost: FerretDB decodes every value of every
// document it reads (or scans) into Go values, and a list of 500 recipients is 6,000 of them; one
// binary value is copied as it is. The driver's own codec packs and unpacks, so ObjectIds, dates
// and attribute types come back exactly as they went in, on MongoDB as on the embedded database.
import { mongo } from 'mongoose';

export type Packed = mongo.Binary;

export function packList<T>(items: readonly T[]): Packed {
  return new mongo.Binary(mongo.BSON.serialize({ r: items }));
}

/** The list a packed value holds (as the driver returns it, or as bytes). */
export function unpackList<T>(packed: Packed | Uint8Array): T[] {
  const bytes = packed instanceof Uint8Array ? packed : packed.read(0, packed.length());
  return mongo.BSON.deserialize(bytes).r as T[];
}
