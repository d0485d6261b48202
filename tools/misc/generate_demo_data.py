# Copyright (c) mmvseg contributors. All rights reserved.
"""Write the synthetic CamVid-layout demo dataset.

Example::

    python tools/misc/generate_demo_data.py --out-dir data/demo
"""
import argparse

from mmvseg.utils.demo_data import generate_demo_camvid


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write a tiny synthetic video dataset in the CamVid '
        'SegNet layout (train/, trainannot/, ..., train.txt, ...).')
    parser.add_argument(
        '--out-dir', default='data/demo', help='output folder')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--height', type=int, default=96, help='frame height in pixels')
    parser.add_argument(
        '--width', type=int, default=128, help='frame width in pixels')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    written = generate_demo_camvid(
        args.out_dir, seed=args.seed, height=args.height, width=args.width)
    for split, pairs in written.items():
        print(f'{split}: {len(pairs)} frames -> {args.out_dir}/{split}.txt')


if __name__ == '__main__':
    main()
