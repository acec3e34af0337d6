// "Did you mean": the nearest known words to a misspelt field, value or token, for quick fixes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { core } from './helpers/core';

describe('did you mean', () => {
  test('edit distance', () => {
    assert.equal(core.editDistance('resolutoin', 'resolution'), 2);
    assert.equal(core.editDistance('', 'abc'), 3);
    assert.equal(core.editDistance('same', 'same'), 0);
  });

  test('nearest known words, closest first, none for far or huge words', () => {
    assert.deepEqual(core.nearest('resolutoin', ['resolution', 'sources', 'codec']), ['resolution']);
    assert.deepEqual(core.nearest('resolutoin', ['resolution', 'lut']), ['resolution'], 'a short word inside a long one is no typo of it');
    assert.deepEqual(core.nearest('prores', ['prores_proxy', 'lut']), ['prores_proxy']);
    assert.deepEqual(core.nearest('prores_ultra', ['prores_proxy', 'prores_lt', 'h264']), ['prores_lt']);
    assert.deepEqual(core.nearest('MOV', ['mov', 'mxf', 'mp4']), ['mp4', 'mxf'], 'the word itself is not suggested');
    assert.deepEqual(core.nearest('xyzzy', ['codec', 'audio']), []);
    assert.deepEqual(core.nearest('x'.repeat(100), ['codec']), []);
    assert.deepEqual(core.nearest('reel', ['index', 'source_name', 'date', 'time'], 3, 4), ['date', 'index', 'time']);
  });
});
