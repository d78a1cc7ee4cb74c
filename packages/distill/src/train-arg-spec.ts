/** One open_clip_train command-line argument, in cliphub's schema. */
export interface TrainArgSpec {
  /** The long flag, e.g. '--batch-size'. */
  flag: string;
  dest: string;
  /** switch: takes no value; value: one value; list: nargs '+' or '*'; kwargs: KEY=VALUE pairs. */
  kind: 'switch' | 'value' | 'list' | 'kwargs';
  /** The argparse type each value must parse as. */
  type: 'str' | 'int' | 'float';
  choices: string[] | null;
  /** For lists: the fewest values argparse accepts. */
  minValues: number;
  default: unknown;
  help: string;
}
