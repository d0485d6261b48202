# Copyright (c) mmvseg contributors. All rights reserved.
"""The model-zoo metafiles list every config (as mmsegmentation's do).

``model-index.yml`` imports one ``configs/<method>/metafile.yaml`` per
config folder; every leaf config (each ``*.py`` under ``configs/`` outside
``configs/_base_``) is exactly one ``Models`` entry, named after the file
and pointing at it, in a collection of its own metafile. mmengine reads the
same files (``BaseInferencer._get_models_from_metafile``, used by the
OpenMMLab inferencers to resolve model names). Only YAML is read: no model
is built.
"""
import glob
import os.path as osp
from collections import Counter

import pytest
from mmengine.fileio import load
from mmengine.infer import BaseInferencer
from script_loader import REPO_ROOT

CONFIG_DIR = osp.join(REPO_ROOT, 'configs')
MODEL_INDEX = osp.join(REPO_ROOT, 'model-index.yml')


def rel(path):
    return osp.relpath(path, REPO_ROOT).replace(osp.sep, '/')


def leaf_configs():
    """Repository-relative paths of every config outside ``_base_``."""
    paths = glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
    base = osp.join(CONFIG_DIR, '_base_') + osp.sep
    return sorted(rel(p) for p in paths if not p.startswith(base))


def metafiles():
    """Repository-relative paths of every metafile under ``configs/``."""
    paths = glob.glob(osp.join(CONFIG_DIR, '*', 'metafile.yaml')) + \
        glob.glob(osp.join(CONFIG_DIR, '*', 'metafile.yml'))
    return sorted(rel(p) for p in paths)


@pytest.fixture(scope='module')
def index():
    return load(MODEL_INDEX)


@pytest.fixture(scope='module')
def metas():
    return {path: load(osp.join(REPO_ROOT, path)) for path in metafiles()}


def test_leaf_configs_found():
    leaves = leaf_configs()
    assert len(leaves) >= 2
    assert 'configs/ssp/ssp_espnet-p2-q8_1xb4-2k_camvid-360x480.py' in leaves
    assert not any(p.startswith('configs/_base_/') for p in leaves)


def test_model_index_imports_every_metafile_sorted(index, metas):
    imports = index['Import']
    assert imports == sorted(imports), 'model-index.yml: keep Import sorted'
    assert len(imports) == len(set(imports)), 'duplicate import'
    for path in imports:
        assert osp.isfile(osp.join(REPO_ROOT, path)), f'{path} is missing'
    assert set(imports) == set(metas), (
        'metafiles not imported: '
        f'{sorted(set(metas) - set(imports))}, imports without a file: '
        f'{sorted(set(imports) - set(metas))}')


def test_every_config_folder_has_a_metafile(metas):
    folders = {osp.dirname(p) for p in leaf_configs()}
    assert folders == {osp.dirname(p) for p in metas}


def test_every_leaf_config_is_exactly_one_model(metas):
    entries = [(path, model) for path, meta in metas.items()
               for model in meta['Models']]
    configs = Counter(model['Config'] for _, model in entries)
    duplicates = sorted(c for c, n in configs.items() if n > 1)
    assert not duplicates, f'configs listed more than once: {duplicates}'
    leaves = leaf_configs()
    missing = sorted(set(leaves) - set(configs))
    assert not missing, f'configs missing from the metafiles: {missing}'
    extra = sorted(set(configs) - set(leaves))
    assert not extra, f'Config paths that are no leaf config: {extra}'
    for path, model in entries:
        config = model['Config']
        assert osp.isfile(osp.join(REPO_ROOT, config)), config
        # the entry sits in the metafile of the config's own folder and is
        # named after the config file
        assert osp.dirname(config) == osp.dirname(path), (path, config)
        stem = osp.splitext(osp.basename(config))[0]
        assert model['Name'] == stem, (model['Name'], config)


def test_names_unique(metas):
    names = Counter(model['Name'] for meta in metas.values()
                    for model in meta['Models'])
    assert not [n for n, c in names.items() if c > 1]
    collections = Counter(coll['Name'] for meta in metas.values()
                          for coll in meta['Collections'])
    assert not [n for n, c in collections.items() if c > 1]


def test_collections_and_metadata(metas):
    for path, meta in metas.items():
        collections = {c['Name']: c for c in meta['Collections']}
        assert collections, path
        for coll in collections.values():
            assert coll['Paper']['Title'] and coll['Paper']['URL'], path
            assert coll['Code'].startswith('https://'), path
            if 'README' in coll:
                assert osp.isfile(osp.join(REPO_ROOT, coll['README'])), path
        used = set()
        for model in meta['Models']:
            assert model['In Collection'] in collections, (path,
                                                           model['Name'])
            used.add(model['In Collection'])
            assert model['Metadata']['Training Data'], model['Name']
            for result in model.get('Results', []):
                assert result['Task'] and result['Dataset'], model['Name']
                assert result['Metrics'], model['Name']
                for value in result['Metrics'].values():
                    assert isinstance(value, (int, float)), model['Name']
            weights = model.get('Weights')
            if weights is not None:
                # local files only: the project never downloads weights
                assert not weights.startswith(('http://', 'https://')), (
                    model['Name'])
        assert used == set(collections), f'{path}: unused collection'


def test_mmengine_reads_every_model():
    models = list(BaseInferencer._get_models_from_metafile(REPO_ROOT))
    names = [m['Name'] for m in models]
    assert len(names) == len(set(names))
    stems = {osp.splitext(osp.basename(p))[0] for p in leaf_configs()}
    assert set(names) == stems
    for model in models:
        assert osp.isfile(osp.join(REPO_ROOT, model['Config']))
