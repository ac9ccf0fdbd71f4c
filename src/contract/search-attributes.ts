import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Typed search attributes; the dev setup registers them (`--search-attribute Name=Keyword`). */
export const KlingPhase = defineSearchAttributeKey('KlingPhase', SearchAttributeType.KEYWORD);
export const KlingTaskId = defineSearchAttributeKey('KlingTaskId', SearchAttributeType.KEYWORD);
export const KlingModel = defineSearchAttributeKey('KlingModel', SearchAttributeType.KEYWORD);
export const KlingStatus = defineSearchAttributeKey('KlingStatus', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [KlingPhase, KlingTaskId, KlingModel, KlingStatus];
