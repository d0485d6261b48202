# Copyright (c) mmvseg contributors. All rights reserved.
"""Install mmvseg.

OpenMMLab packages are installed separately with ``--no-deps`` (see
requirements/openmmlab.txt and docs/en/get_started.md): their metadata asks for
the GUI ``opencv-python`` next to our ``opencv-python-headless``.
"""
import os.path as osp

from setuptools import find_packages, setup


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


setup(
    name='mmvseg',
    version=read_version(),
    description='Video semantic segmentation for MMSegmentation 1.x',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
    python_requires='>=3.11',
    install_requires=read_requirements('requirements/runtime.txt'),
    extras_require=dict(
        tests=read_requirements('requirements/tests.txt'),
        optional=read_requirements('requirements/optional.txt')),
    classifiers=[
        'License :: OSI Approved :: Apache Software License',
        'Programming Language :: Python :: 3.11',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
    zip_safe=False)
