// Every TypeORM entity the dispatcher maps.
export const ENTITIES: (new () => object)[] = [];
