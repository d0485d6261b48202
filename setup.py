# Copyright (c) mmvseg contributors. All rights reserved.
"""Install mmvseg.

OpenMMLab packages are installed separately with ``--no-deps`` (see
requirements/openmmlab.txt and docs/en/get_started.md): their metadata asks for
the GUI ``opencv-python`` next to our ``opencv-python-headless``.

As the OpenMMLab packages do (``add_mim_extension`` in open-mmlab/
mmsegmentation ``setup.py``), the configs, tools, demo and ``model-index.yml``
travel inside the package as ``mmvseg/.mim``, so that an installed mmvseg
(``pip install .``, a wheel) finds its configs: ``mmvseg::ssp/<config>.py``
names (``mmvseg.apis``, mmengine), ``mim``. They are copied for wheels and
sdists and linked for ``setup.py develop``.
"""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

#: Repository files shipped as ``mmvseg/.mim/<name>``.
MIM_FILES = ('configs', 'tools', 'demo', 'model-index.yml')


def read_version() -> str:
    namespace = {}
    with open(osp.join('mmvseg', 'version.py')) as f:
        exec(compile(f.read(), 'mmvseg/version.py', 'exec'), namespace)
    return namespace['__version__']


def read_requirements(path: str) -> list:
    with open(path) as f:
        return [
            line.strip() for line in f
            if line.strip() and not line.startswith('#')
        ]


def add_mim_extension() -> None:
    """Copy (wheel, sdist) or link (develop) ``MIM_FILES`` into
    ``mmvseg/.mim``; other commands leave it alone."""
    if 'develop' in sys.argv:
        mode = 'symlink'
    elif 'sdist' in sys.argv or 'bdist_wheel' in sys.argv:
        mode = 'copy'
    else:
        return
    repo = osp.dirname(osp.abspath(__file__))
    mim = osp.join(repo, 'mmvseg', '.mim')
    os.makedirs(mim, exist_ok=True)
    for name in MIM_FILES:
        src, dst = osp.join(repo, name), osp.join(mim, name)
        if not osp.exists(src):
            continue  # e.g. building from an sdist that has .mim already
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim), dst)
        elif osp.isdir(src):
            shutil.copytree(
                src, dst,
                ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        else:
            shutil.copyfile(src, dst)


add_mim_extension()
setup(
    name='mmvseg',
    version=read_version(),
    description='Video semantic segmentation for MMSegmentation 1.x',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',  # SPDX expression (PEP 639)
    license_files=['LICENSE'],
    # mmvseg/datasets/data: the snippet lists, a data folder without
    # __init__.py, listed as setuptools asks for such folders
    packages=find_packages(
        exclude=('configs', 'tools', 'tests', 'docs', 'demo')) +
    ['mmvseg.datasets.data'],
    include_package_data=True,  # mmvseg/.mim, listed in MANIFEST.in
    package_data={'mmvseg.datasets.data': ['*.txt']},
    python_requires='>=3.11',
    install_requires=read_requirements('requirements/runtime.txt'),
    extras_require=dict(
        tests=read_requirements('requirements/tests.txt'),
        optional=read_requirements('requirements/optional.txt')),
    classifiers=[
        'Programming Language :: Python :: 3.11',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
    zip_safe=False)
